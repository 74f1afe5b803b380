package dev.visage.web.rest;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.json.JsonText;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/** A request body parsed as one JSON object, with size and type checks that end in clear errors. */
final class JsonBody {

    static final int MAX_CHARS = 64 * 1024;

    private final JsonObject object;

    private JsonBody(JsonObject object) {
        this.object = object;
    }

    /** An absent body reads as {}; anything but a JSON object under 64 KiB is rejected. */
    static JsonBody parse(String body) {
        if (body == null || body.isBlank()) {
            return new JsonBody(JsonValue.EMPTY_JSON_OBJECT);
        }
        if (body.length() > MAX_CHARS) {
            throw new VisageException(ErrorCode.MESSAGE_TOO_LARGE, "request bodies are limited to 64 KiB");
        }
        return new JsonBody(JsonText.object(body, "the body"));
    }

    /** A string field, or null when absent; a field of another type is a bad request. */
    String string(String name) {
        JsonValue value = object.get(name);
        if (value == null || value == JsonValue.NULL) {
            return null;
        }
        if (!(value instanceof JsonString s)) {
            throw new VisageException(ErrorCode.BAD_REQUEST, "'" + name + "' must be a string");
        }
        return s.getString();
    }
}
