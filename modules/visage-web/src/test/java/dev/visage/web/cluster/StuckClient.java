package dev.visage.web.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A client that joins a room and then stops reading its signalling socket, as a frozen tab or a
 * phone on a dead network does: a plain TCP socket with a small receive buffer, the WebSocket
 * upgrade written by hand, and nothing read after the hello, so the node's frames pile up in the
 * TCP windows and then in the node.
 */
final class StuckClient implements AutoCloseable {

    private static final int RECEIVE_BUFFER = 4096;

    final String sessionId;
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private String joinFrame;
    private int lastOpcode;

    private StuckClient(String sessionId, Socket socket) throws IOException {
        this.sessionId = sessionId;
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens a session and its socket, reads up to the hello, joins {@code roomId}, and reads no more. */
    static StuckClient joinAndStopReading(Api api, String userToken, String roomId) throws Exception {
        Api.Reply grant = api.post("/api/sessions", null, userToken);
        String token = grant.json().getString("sessionToken");
        URI base = URI.create(api.baseUrl());
        Socket socket = new Socket();
        socket.setReceiveBufferSize(RECEIVE_BUFFER); // before connecting, so the window stays small
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
        socket.setSoTimeout(60_000);
        StuckClient client = new StuckClient(grant.json().getString("sessionId"), socket);
        client.upgrade(base.getHost(), token);
        while (!new String(client.readFrame(), StandardCharsets.UTF_8).contains("\"hello\"")) {
            // frames before the hello: none expected
        }
        Api.Reply join = api.post("/api/rooms/" + roomId + "/join", null, token);
        if (join.status() != 200) {
            throw new IllegalStateException("join refused: " + join);
        }
        client.joinFrame = "{\"type\":\"join\",\"roomToken\":\"" + join.json().getString("roomToken") + "\"}";
        client.sendText(client.joinFrame);
        return client;
    }

    /**
     * Sends its join again {@code times} times without reading the answers: each "joined" carries
     * the room's last 100 chat messages, so a few dozen pile up megabytes for this client alone.
     */
    void joinAgain(int times) throws IOException {
        for (int i = 0; i < times; i++) {
            sendText(joinFrame);
        }
    }

    private void upgrade(String host, String token) throws IOException {
        byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        out.write(("GET /ws?token=" + token + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        StringBuilder response = new StringBuilder();
        while (response.indexOf("\r\n\r\n") < 0) {
            response.append((char) in.readUnsignedByte());
        }
        if (!response.toString().startsWith("HTTP/1.1 101")) {
            throw new IllegalStateException("upgrade refused: " + response);
        }
    }

    /** The payload of the next frame; {@link #lastOpcode} says what kind it was. */
    private byte[] readFrame() throws IOException {
        lastOpcode = in.readUnsignedByte() & 0x0F;
        long length = in.readUnsignedByte() & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        return in.readNBytes((int) length);
    }

    /** One masked text frame, as a client must send it. */
    private void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x81);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xFF);
        }
        byte[] mask = new byte[4];
        new SecureRandom().nextBytes(mask);
        frame.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    /**
     * Reads again: skips every frame the node managed to send and returns the code of its close
     * frame, or -1 if the connection ended without one; fails if it is still open after a minute.
     */
    int readUntilClosed() throws IOException {
        try {
            while (true) {
                byte[] payload = readFrame();
                if (lastOpcode == 0x8) {
                    return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
                }
            }
        } catch (EOFException ended) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
