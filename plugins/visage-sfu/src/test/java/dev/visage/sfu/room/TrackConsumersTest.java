package dev.visage.sfu.room;

import dev.visage.api.media.Participant;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The fan-out walks each track's consumers (not the room's members), so those lists must follow
 * the subscribers: one consumer per subscriber, gone when it leaves, moved to the new track when
 * the publisher reconnects.
 */
class TrackConsumersTest {

    @Test
    void eachTrackHasOneConsumerPerSubscriberUntilItLeaves() {
        FuzzRoom r = FuzzRoom.open();
        for (PublishedTrack t : r.publisher.publishedTracks()) {
            assertEquals(1, t.consumers().length, t.info.kind());
            assertSame(r.subscriber.subscriber(), t.consumers()[0].subscriber);
        }
        SfuEndpoint late = SfuEndpoint.join(r.room, new Participant("fuzz", "late", "u3", "Late"), m -> { }, r.services);
        for (PublishedTrack t : r.publisher.publishedTracks()) {
            assertEquals(2, t.consumers().length, "a late joiner's consumer is added to " + t.info.kind());
        }
        r.subscriber.leave();
        late.close();
        for (PublishedTrack t : r.publisher.publishedTracks()) {
            assertEquals(0, t.consumers().length, "nothing is sent to subscribers that are gone");
        }
    }

    @Test
    void aReconnectingPublishersNewTrackTakesOverTheConsumer() {
        FuzzRoom r = FuzzRoom.open();
        PublishedTrack[] before = r.publisher.publishedTracks();
        r.publisher.close(); // its connection was lost: the subscriber keeps the stream for the grace
        for (PublishedTrack t : before) {
            assertEquals(1, t.consumers().length, "orphaned, not removed");
        }
        SfuEndpoint back = SfuEndpoint.join(r.room, new Participant("fuzz", "pub-again", "u1", "Publisher"), m -> { },
                r.services);
        back.onClientMessage("offer", Map.of("type", "offer", "pc", "publish", "sdp", FuzzRoom.chromeOfferWithoutCandidates()));
        for (PublishedTrack t : before) {
            assertEquals(0, t.consumers().length, "the old " + t.info.kind() + " track is not fanned out to any more");
        }
        for (PublishedTrack t : back.publishedTracks()) {
            assertEquals(1, t.consumers().length, t.info.kind());
            assertSame(r.subscriber.subscriber().consumerOf(t), t.consumers()[0],
                    "the subscriber's consumer, rebound (same SSRC at the subscriber), is the new track's");
        }
    }
}
