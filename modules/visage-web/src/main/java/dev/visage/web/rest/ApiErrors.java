package dev.visage.web.rest;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.cluster.ClusterUnavailableException;
import dev.visage.api.plugin.StoreUnavailableException;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.room.RoomTakenException;
import dev.visage.web.limit.RateLimitedException;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every REST failure leaves as JSON {code, message} with the status the code maps to ({@code room_taken}
 * adds the free variant it found as {@code suggestion}).
 */
@Provider
public class ApiErrors implements ExceptionMapper<Throwable> {

    private static final Logger LOG = Logger.getLogger(ApiErrors.class.getName());

    @Override
    public Response toResponse(Throwable failure) {
        if (failure instanceof StoreUnavailableException e) {
            // the node's store watch logs the outage once; this call's detail is for debugging only
            LOG.log(Level.FINE, "REST call refused: store unavailable", e);
            failure = VisageException.storeUnavailable(e);
        }
        if (failure instanceof ClusterUnavailableException e) {
            LOG.log(Level.FINE, "REST call refused: cluster unavailable", e);
            failure = VisageException.clusterUnavailable(e);
        }
        if (failure instanceof RateLimitedException e) {
            return Response.fromResponse(response(e.code().httpStatus(), e.code().wire(), e.getMessage()))
                    .header("Retry-After", e.retryAfterSeconds()).build();
        }
        if (failure instanceof RoomTakenException e) {
            JsonObjectBuilder body = errorBody(e.code().wire(), e.getMessage());
            e.suggestion().ifPresent(free -> body.add("suggestion", free));
            return Response.status(e.code().httpStatus()).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(body.build().toString()).build();
        }
        if (failure instanceof VisageException e) {
            return response(e.code().httpStatus(), e.code().wire(), e.getMessage());
        }
        if (failure instanceof WebApplicationException e) {
            int status = e.getResponse().getStatus();
            String code = switch (status) {
                case 404 -> ErrorCode.NOT_FOUND.wire();
                case 405 -> "method_not_allowed";
                case 406, 415 -> "unsupported_media_type";
                default -> status >= 500 ? ErrorCode.INTERNAL.wire() : ErrorCode.BAD_REQUEST.wire();
            };
            return response(status, code, e.getMessage());
        }
        LOG.log(Level.WARNING, "unhandled REST failure", failure);
        return response(500, ErrorCode.INTERNAL.wire(), "internal error");
    }

    static Response response(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(json(code, message)).build();
    }

    /** The error body of the contract: {@code {"code":…,"message":…}}. */
    public static String json(String code, String message) {
        return errorBody(code, message).build().toString();
    }

    private static JsonObjectBuilder errorBody(String code, String message) {
        return JSON.createObjectBuilder().add("code", code).add("message", message == null ? code : message);
    }
}
