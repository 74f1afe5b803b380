/**
 * The media relay between Visage nodes: when a room has members on several nodes, each node sends
 * each of its local publishers' tracks once to every other node that has members in that room,
 * and the receiving node fans them out to its local subscribers exactly as if the publishers were
 * local (they show up in the clients' {@code tracks} messages with their sessionId and
 * displayName).
 *
 * <h2>Why here, inside the SFU plugin</h2>
 * The relay must feed the router's internals: relayed tracks are {@link
 * dev.visage.sfu.room.PublishedTrack}s of the local {@link dev.visage.sfu.room.Room}, their
 * packets enter the same fan-out and NACK cache, subscribers' PLIs and NACKs go back through the
 * same paths. That is why mediasoup's PipeTransport lives inside the worker next to the Router and
 * Jitsi Videobridge's Relay inside the bridge next to the Conference. The plugin still depends on
 * visage-api only: the cluster side is the {@link dev.visage.api.relay.RelayBus} SPI, which the
 * cluster backend plugin provides (a Hazelcast topic or a Redis channel per node).
 *
 * <h2>Shape</h2>
 * <pre>
 * Relay            the facade the engine uses: start, the one relay thread and its timers, metrics
 * RelaySignalling  the relay-* messages on the RelayBus, per-room interest and its reconciliation
 * RelayLegs        the legs by peer node: handshake, retries, replacement, closing when idle
 * InboundRelay     our subscriptions (room, peer): the relayed tracks, the layers we ask for
 * OutboundRelay    the peers subscribed to our rooms: tracks announced, layers wanted, and
 *                  per local track its TrackRelay (the legs it goes out on)
 * RelayStats       the relay's counters, for /metrics and the console
 * RelayLeg         one per peer node: state machine, SRTP session, RTP out / RTCP both ways;
 *                  its counters in RelayLegStats
 * RelaySocket   the node's one relay UDP socket (visage.relay.port, default media port + 1000,
 *               bound on the first media address) and its receive thread, demux by peer address
 * TrackRelay    sending side of one local track: the legs it goes to (PublishedTrack.downstream)
 * RemoteStream  receiving side of one relayed stream: its track and layer, its room, its leg
 *               (PublishedTrack.upstream: key-frame requests and cache-missed NACKs go back)
 * RelayKeys     per-leg SRTP keys, derived from the cluster secret; RelayMessages the bus messages;
 *               RelayRtcp the leg's own RTCP
 * </pre>
 *
 * <h2>One leg per node pair, not per room</h2>
 * A leg carries the streams of every room the two nodes share, demultiplexed by SSRC (the same
 * way one WebRTC transport carries many tracks): one key exchange, one SRTP context set and one
 * RTT/loss measurement per pair, no per-datagram header, and a second room between the same two
 * nodes costs no set-up. Per-room accounting stays where it matters: the subscription (and so the
 * streams sent) is per room and node pair, torn down when the room's last member on the
 * subscribing node leaves; the leg itself closes when no subscription is left in either direction,
 * and at once when {@link dev.visage.api.relay.RelayBus#onNodeGone} reports the peer gone.
 *
 * <h2>Signalling (server to server on the RelayBus only, never through a client)</h2>
 * Leg: offer -> answer -> ready (see {@link dev.visage.sfu.relay.RelayMessages}); offers and
 * answers are resent every second, five times at most, then the leg is FAILED and offered anew
 * three seconds later while still needed; glare is settled by node id. Interest: on every local
 * membership or track change the relay asks {@code nodesInRoom(room)} and subscribes to the
 * nodes it does not have yet; a node receiving a subscribe subscribes back; a 5 s reconciliation
 * repairs lost messages and forgets nodes that left a room silently.
 *
 * <h2>Security: no DTLS on relay legs</h2>
 * The legs' SRTP keys derive from the node's relay key, a key derived from the cluster secret every
 * node is given and which never travels through the cluster backend: each side draws a fresh nonce
 * per leg, sends only the nonce in its offer or answer, and both sides expand the relay key over
 * the leg id, the side and the nonce ({@link dev.visage.sfu.relay.RelayKeys}). A process that reads
 * the bus (a rogue member of the data grid) learns nonces and cannot decrypt or inject relay media;
 * the bus messages themselves are sealed by the node (an HMAC under another key derived from the
 * same secret), so it cannot forge an offer either. A DTLS handshake would add round trips and no
 * protection. SRTP (AEAD_AES_128_GCM by default, AES-CM-80 with
 * {@code visage.relay.srtp-profile=cm}) authenticates every datagram: packets from other
 * addresses are dropped unread, forged or replayed ones fail authentication and are counted.
 *
 * <h2>Media and feedback</h2>
 * RTP goes one way per stream; a simulcast track's layers are streams of their own (each under a
 * relay SSRC announced with its rid), and a leg carries only the layers the far node's consumers
 * may need (relay-layers), among which each far consumer picks its own as a local one does. RTCP
 * both ways: the publisher's SRs (without report blocks) go to the far subscribers; a far
 * subscriber's PLI/FIR becomes a PLI over the leg for the layer it is for and reaches the
 * publisher (rate-limited on both nodes); a far subscriber's NACK is answered from the receiving
 * node's own cache of the relayed stream, and only what it lacks is NACKed over the leg and
 * resent from the publishing node's cache. Every second each leg sends its own SR with report
 * blocks: LSR/DLSR for the peer's RTT and loss per stream received. No transport-cc or REMB on
 * the relay (as in JVB). Hot path: no per-packet allocation, no lock but the leg's send lock
 * around SRTP + send, no cluster call.
 *
 * <h2>Metrics</h2>
 * {@code SfuEngine.metrics()} gets totals ({@code visage_relay_legs}, {@code _streams_out},
 * {@code _streams_in}, {@code _packets_sent_total}, ...) and per-leg series whose peer node is a
 * label written into the name, e.g. {@code visage_relay_leg_packets_sent_total{peer="node-b"}},
 * {@code visage_relay_leg_rtt_seconds{peer="node-b"}}, {@code visage_relay_leg_packets_lost_sent{...}}
 * (as reported by the peer); /metrics merges that label with the node's own.
 */
package dev.visage.sfu.relay;
