package dev.visage.web.rest;

import dev.visage.core.error.VisageException;
import dev.visage.core.room.RoomUrlName;

import java.nio.charset.StandardCharsets;

/**
 * Fuzz target "rest-body": a REST request body, read as the resources read it (one JSON object,
 * then its string fields, a room's URL name checked as room creation checks it). Anything wrong must end in a VisageException whose code has a 4xx status
 * (the API's exception mapper answers it as JSON {code, message} with that status); nothing else
 * may escape (the mapper would answer 500 internal).
 */
public final class RestBodyFuzzTarget {
    private RestBodyFuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] input) {
        String body = new String(input, StandardCharsets.UTF_8);
        try {
            JsonBody json = JsonBody.parse(body);
            for (String field : new String[]{"username", "password", "displayName", "name"}) {
                json.string(field);
            }
            String urlName = json.string("urlName");
            if (urlName != null) {
                RoomUrlName.checked(urlName);
            }
        } catch (VisageException e) {
            int status = e.code().httpStatus();
            if (status < 400 || status >= 500) {
                throw new AssertionError("a bad body answered " + status + " " + e.code().wire());
            }
        }
    }
}
