package dev.visage.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Random mutations of stored inputs, libFuzzer's simplest operators without its coverage
 * feedback: flip a bit, set a byte to an edge value, insert, erase or repeat a run of bytes,
 * splice two inputs, truncate. One to four of them per input.
 */
final class Mutator {
    private static final byte[] EDGES = {0, 1, 0x7F, (byte) 0x80, (byte) 0xFF, (byte) 0xFE, 0x20, 0x0F, 0x10};

    private final Random random;
    private final List<byte[]> inputs;
    private final int maxLength;

    Mutator(long seed, List<byte[]> inputs, int maxLength) {
        this.random = new Random(seed);
        this.inputs = inputs.isEmpty() ? List.of(new byte[0]) : inputs;
        this.maxLength = maxLength;
    }

    byte[] next() {
        byte[] b = inputs.get(random.nextInt(inputs.size())).clone();
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
            b = mutate(b);
        }
        return b.length > maxLength ? Arrays.copyOf(b, maxLength) : b;
    }

    private byte[] mutate(byte[] b) {
        int at = b.length == 0 ? 0 : random.nextInt(b.length);
        switch (b.length == 0 ? 2 : random.nextInt(7)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = EDGES[random.nextInt(EDGES.length)];
            case 2 -> {
                byte[] run = new byte[1 + random.nextInt(8)];
                random.nextBytes(run);
                return splice(b, at, 0, run);
            }
            case 3 -> {
                return splice(b, at, Math.min(b.length - at, 1 + random.nextInt(8)), new byte[0]);
            }
            case 4 -> {
                int len = Math.min(b.length - at, 1 + random.nextInt(16));
                return splice(b, at, 0, Arrays.copyOfRange(b, at, at + len));
            }
            case 5 -> {
                byte[] other = inputs.get(random.nextInt(inputs.size()));
                int from = other.length == 0 ? 0 : random.nextInt(other.length);
                return splice(Arrays.copyOf(b, at), at, 0, Arrays.copyOfRange(other, from, other.length));
            }
            default -> {
                return Arrays.copyOf(b, at);
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }
}
