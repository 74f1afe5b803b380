package dev.visage.web.http;

import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Pages with URLs of their own: room links ({@code /r/<roomId>}) are shareable and open the room
 * page; {@code /admin} opens the operators' console (its API checks the admin role on every call).
 */
@WebServlet({"/r/*", "/admin"})
public class PageServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String page = "/admin".equals(request.getServletPath()) ? "/admin.html" : "/room.html";
        request.getRequestDispatcher(page).forward(request, response);
    }
}
