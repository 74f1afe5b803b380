package dev.visage.web.signalling;

import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The container's side of a client socket: what a Connection calls, the frames it wrote and the
 * closes it asked for. A socket made {@link #notReading()} takes writes but completes none, as a
 * full TCP window does, until the client reads again.
 */
final class FakeSocket {

    final BlockingQueue<String> written = new LinkedBlockingQueue<>();
    final List<CloseReason> closes = new CopyOnWriteArrayList<>();
    /** Writes the client has not read yet: their handlers wait until it reads again. */
    private final List<Runnable> unread = new ArrayList<>();
    private boolean clientReads;
    private final CountDownLatch firstWriteBegan = new CountDownLatch(1);
    final Session session;

    private FakeSocket(boolean reads) {
        clientReads = reads;
        RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(
                RemoteEndpoint.Async.class.getClassLoader(), new Class<?>[]{RemoteEndpoint.Async.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("sendText") && args.length == 2) {
                        firstWriteBegan.countDown();
                        Runnable taken = () -> {
                            written.add((String) args[0]);
                            ((SendHandler) args[1]).onResult(new SendResult());
                        };
                        synchronized (this) {
                            if (!clientReads) {
                                unread.add(taken);
                                return null;
                            }
                        }
                        taken.run();
                    }
                    return null;
                });
        session = (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[]{Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getAsyncRemote" -> remote;
                    case "close" -> {
                        closes.add(args != null && args.length == 1 ? (CloseReason) args[0] : null);
                        yield null;
                    }
                    case "isOpen" -> closes.isEmpty();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                });
    }

    static FakeSocket reading() {
        return new FakeSocket(true);
    }

    /** A client that stopped reading: no write completes until {@link #readAgain()}. */
    static FakeSocket notReading() {
        return new FakeSocket(false);
    }

    void readAgain() {
        List<Runnable> taken;
        synchronized (this) {
            clientReads = true;
            taken = List.copyOf(unread);
            unread.clear();
        }
        taken.forEach(Runnable::run);
    }

    /** Waits until the sender has started its first write (which never completes, if not reading). */
    void awaitFirstWrite() throws InterruptedException {
        if (!firstWriteBegan.await(1, TimeUnit.MINUTES)) {
            throw new AssertionError("nothing was written within a minute");
        }
    }

    String nextWritten() throws InterruptedException {
        String text = written.poll(1, TimeUnit.MINUTES);
        if (text == null) {
            throw new AssertionError("no frame written within a minute");
        }
        return text;
    }

    CloseReason awaitClose() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (closes.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not closed within a minute");
            }
            Thread.sleep(5);
        }
        return closes.get(0);
    }
}
