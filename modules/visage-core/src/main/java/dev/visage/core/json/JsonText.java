package dev.visage.core.json;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;

import java.io.StringReader;

/** A client's text (a request body, a signalling message) read as one JSON object. */
public final class JsonText {

    private JsonText() {
    }

    /**
     * The object, or a {@code bad_json} error naming the text as {@code what} ("the body"). Every
     * failure of the reader is the text's fault: Parsson reports most as JsonException, but an
     * exponent too large for a BigDecimal ({@code 1e9999999999}) as NumberFormatException and
     * nesting deeper than its limit of 1000 as a plain RuntimeException.
     */
    public static JsonObject object(String text, String what) {
        JsonValue value;
        try (JsonReader reader = JSON.createReader(new StringReader(text))) {
            value = reader.readValue();
        } catch (RuntimeException e) {
            throw new VisageException(ErrorCode.BAD_JSON, what + " is not valid JSON");
        }
        if (value.getValueType() != JsonValue.ValueType.OBJECT) {
            throw new VisageException(ErrorCode.BAD_JSON, what + " must be a JSON object");
        }
        return value.asJsonObject();
    }
}
