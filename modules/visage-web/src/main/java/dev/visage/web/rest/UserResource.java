package dev.visage.web.rest;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.user.User;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.web.limit.RateLimits;
import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Registration, login and "who am I"; registration and login are rate-limited before they hash anything. */
@Path("/")
@Consumes(MediaType.WILDCARD)
@Produces(MediaType.APPLICATION_JSON)
public class UserResource {

    @Inject
    VisageNode node;

    @Inject
    RateLimits limits;

    @Context
    HttpServletRequest request;

    @POST
    @Path("users")
    public Response register(String body) {
        limits.checkRegistration(request.getRemoteAddr());
        JsonBody json = JsonBody.parse(body);
        User user = node.accounts().register(json.string("username"), json.string("password"),
                json.string("displayName"));
        return Response.status(Response.Status.CREATED).entity(userJson(user).toString()).build();
    }

    @POST
    @Path("login")
    public String login(String body) {
        JsonBody json = JsonBody.parse(body);
        String username = json.string("username");
        RateLimits.LoginAttempt attempt = limits.beginLogin(request.getRemoteAddr(), username);
        String token;
        try {
            token = node.accounts().login(username, json.string("password"));
        } catch (VisageException e) {
            if (e.code() == ErrorCode.BAD_CREDENTIALS) {
                attempt.failed();
            } else {
                attempt.abandoned();
            }
            throw e;
        } catch (RuntimeException e) {
            attempt.abandoned();
            throw e;
        }
        attempt.succeeded();
        User user = node.accounts().authenticate(token);
        return JSON.createObjectBuilder().add("userToken", token).add("user", userJson(user)).build().toString();
    }

    @GET
    @Path("me")
    public String me(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        return userJson(node.accounts().authenticate(BearerToken.from(authorization))).toString();
    }

    private static JsonObject userJson(User user) {
        return JSON.createObjectBuilder().add("id", user.id()).add("username", user.username())
                .add("displayName", user.displayName()).add("role", user.role()).build();
    }
}
