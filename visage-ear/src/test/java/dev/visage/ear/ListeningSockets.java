package dev.visage.ear;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The local addresses this machine's sockets are bound to on a port, read from Linux's
 * {@code /proc/net/{tcp,tcp6,udp,udp6}}: what {@code ss -tulpn} shows.
 */
final class ListeningSockets {

    private static final String TCP_LISTEN = "0A";

    private ListeningSockets() {
    }

    /** Addresses of the TCP sockets listening on {@code port}. */
    static List<InetAddress> tcp(int port) throws IOException {
        return bound(port, true, "tcp", "tcp6");
    }

    /** Addresses of the UDP sockets bound to {@code port}. */
    static List<InetAddress> udp(int port) throws IOException {
        return bound(port, false, "udp", "udp6");
    }

    private static List<InetAddress> bound(int port, boolean listeningOnly, String... tables) throws IOException {
        List<InetAddress> addresses = new ArrayList<>();
        for (String table : tables) {
            Path file = Path.of("/proc/net", table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                String[] local = fields[1].split(":");
                if (Integer.parseInt(local[1], 16) == port && (!listeningOnly || TCP_LISTEN.equals(fields[3]))) {
                    addresses.add(address(local[0]));
                }
            }
        }
        return addresses;
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) byte order. */
    private static InetAddress address(String hex) throws IOException {
        byte[] raw = HexFormat.of().parseHex(hex);
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 2; i++) {
                byte b = raw[word + i];
                raw[word + i] = raw[word + 3 - i];
                raw[word + 3 - i] = b;
            }
        }
        return InetAddress.getByAddress(raw);
    }
}
