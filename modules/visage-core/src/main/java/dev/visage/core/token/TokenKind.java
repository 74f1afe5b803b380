package dev.visage.core.token;

/** The three steps of the token chain: login, one WebSocket connection, one room join. */
public enum TokenKind {
    USER("u"), SESSION("s"), ROOM("r");

    private final String wire;

    TokenKind(String wire) {
        this.wire = wire;
    }

    String wire() {
        return wire;
    }

    static TokenKind fromWire(String wire) {
        for (TokenKind kind : values()) {
            if (kind.wire.equals(wire)) {
                return kind;
            }
        }
        return null;
    }
}
