package dev.visage.sfu.room;

import java.util.Arrays;

/**
 * The endpoints of one room on this node (the Router). Membership is a copy-on-write array so the
 * forwarding loop iterates it without locks or iterators; changes happen under the room's monitor,
 * which also serialises all signalling that spans endpoints of the room.
 */
public final class Room {
    public final String id;
    private volatile SfuEndpoint[] members = new SfuEndpoint[0];

    public Room(String id) {
        this.id = id;
    }

    public SfuEndpoint[] members() {
        return members;
    }

    synchronized void add(SfuEndpoint e) {
        SfuEndpoint[] m = Arrays.copyOf(members, members.length + 1);
        m[m.length - 1] = e;
        members = m;
    }

    /** Returns true if the room is now empty. */
    synchronized boolean remove(SfuEndpoint e) {
        SfuEndpoint[] m = members;
        int i = Arrays.asList(m).indexOf(e);
        if (i >= 0) {
            SfuEndpoint[] n = new SfuEndpoint[m.length - 1];
            System.arraycopy(m, 0, n, 0, i);
            System.arraycopy(m, i + 1, n, i, m.length - i - 1);
            members = n;
        }
        return members.length == 0;
    }

    /** Finds a published track anywhere in the room by SSRC (for subscriber feedback). */
    PublishedTrack findTrack(int ssrc) {
        for (SfuEndpoint e : members) {
            PublishedTrack t = e.publishedTrack(ssrc);
            if (t != null) {
                return t;
            }
        }
        return null;
    }
}
