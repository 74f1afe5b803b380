package dev.visage.api.json;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts between JSON-P values and the plain maps the media and relay SPI speak. JSON-P is the
 * platform's (Payara provides it), so plugins use it without bringing a JSON library.
 */
public final class JsonMaps {

    /**
     * One provider for the SPI's JSON: the static methods of {@code jakarta.json.Json} look the
     * provider up again (a ServiceLoader scan) on every call.
     */
    public static final JsonProvider JSON = JsonProvider.provider();

    private JsonMaps() {
    }

    public static Map<String, Object> toMap(JsonObject object) {
        Map<String, Object> map = new LinkedHashMap<>();
        object.forEach((key, value) -> map.put(key, toJava(value)));
        return map;
    }

    private static Object toJava(JsonValue value) {
        return switch (value.getValueType()) {
            case OBJECT -> toMap(value.asJsonObject());
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                ((JsonArray) value).forEach(v -> list.add(toJava(v)));
                yield list;
            }
            case STRING -> ((JsonString) value).getString();
            case NUMBER -> {
                JsonNumber n = (JsonNumber) value;
                yield n.isIntegral() ? (Object) n.longValue() : (Object) n.doubleValue();
            }
            case TRUE -> Boolean.TRUE;
            case FALSE -> Boolean.FALSE;
            case NULL -> null;
        };
    }

    public static JsonObject toJson(Map<String, ?> map) {
        JsonObjectBuilder builder = JSON.createObjectBuilder();
        map.forEach((key, value) -> builder.add(key, toJsonValue(value)));
        return builder.build();
    }

    public static JsonArray toJsonArray(Iterable<? extends Map<String, ?>> maps) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        maps.forEach(m -> array.add(toJson(m)));
        return array.build();
    }

    @SuppressWarnings("unchecked")
    private static JsonValue toJsonValue(Object value) {
        if (value == null) {
            return JsonValue.NULL;
        } else if (value instanceof Map<?, ?> map) {
            return toJson((Map<String, ?>) map);
        } else if (value instanceof Iterable<?> list) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            list.forEach(v -> array.add(toJsonValue(v)));
            return array.build();
        } else if (value instanceof Boolean b) {
            return b ? JsonValue.TRUE : JsonValue.FALSE;
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            return JSON.createValue(((Number) value).longValue());
        } else if (value instanceof Number n) {
            return JSON.createValue(n.doubleValue());
        }
        return JSON.createValue(value.toString());
    }
}
