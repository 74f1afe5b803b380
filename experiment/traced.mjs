// The experiment's pages and what the hub's packet trace (tests/netns/frame-trace.py analyse) adds
// to a scenario's results: shared by the experiment's driver (experiment.mjs) and by reanalyse.mjs, which recomputes a
// kept run's trace figures with the current analysis.

export const mean = (xs) => { const a = xs.filter((x) => Number.isFinite(x)); return a.length ? a.reduce((s, x) => s + x, 0) / a.length : null; };
export const round = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

/** The pages of a run: one per region (people 1) or two (people 2); the first two are "the" EU and VN pages. */
export const pagesOf = (people) => [{ key: 'eu', client: 'ceu', user: 'eu-peer', region: 'eu' }, { key: 'vn', client: 'cvn', user: 'vn-peer', region: 'vn' },
  ...(people === 2 ? [{ key: 'eu2', client: 'ceu2', user: 'eu-peer2', region: 'eu' }, { key: 'vn2', client: 'cvn2', user: 'vn-peer2', region: 'vn' }] : [])];

/** The traced path of the publisher's video to the subscriber (the one with most packets). */
export function tracedPath(trace, publisher, subscriber, kind = 'video') {
  const ps = Object.values((trace && trace.paths) || {}).filter((p) => p.publisher === publisher && p.subscriber === subscriber && p.kind === kind && p.oneWayMs);
  return ps.sort((a, b) => b.oneWayMs.n - a.oneWayMs.n)[0] || null;
}

/**
 * Traced video one-way delay and jitter per pair of regions (EU→EU, EU→VN, VN→EU, VN→VN), means
 * over the page pairs. pages: [{client, region}].
 */
export function tracedClasses(trace, pages) {
  const region = Object.fromEntries(pages.map((p) => [p.client, p.region.toUpperCase()]));
  const out = {};
  for (const p of Object.values((trace && trace.paths) || {})) {
    if (p.kind !== 'video' || !p.oneWayMs || !region[p.publisher] || !region[p.subscriber]) continue;
    const k = `${region[p.publisher]}→${region[p.subscriber]}`;
    (out[k] = out[k] || []).push(p);
  }
  return Object.fromEntries(Object.entries(out).map(([k, ps]) => [k, {
    pairs: ps.length, via: ps[0].via, oneWayMs: round(mean(ps.map((p) => p.oneWayMs.mean)), 1), oneWayP95Ms: round(Math.max(...ps.map((p) => p.oneWayMs.p95)), 1),
    configuredMs: round(mean(ps.map((p) => p.configuredMs)), 1), nodesMs: round(mean(ps.map((p) => Object.values(p.nodesMeanMs).reduce((a, x) => a + x, 0))), 2),
    jitterMs: round(mean(ps.map((p) => p.jitterMs)), 2), senderJitterMs: round(mean(ps.map((p) => p.senderJitterMs)), 2),
    receiverJitterMs: round(mean(ps.map((p) => p.receiverJitterMs)), 2),
  }]));
}

/** Puts a scenario's trace and the figures drawn from it into its results (res: one scenario of results.json). */
export function applyTrace(res, trace, pages) {
  res.trace = trace;
  if (res.people === 2) {
    res.classes = tracedClasses(trace, pages);
    return;
  }
  for (const [d, from, to] of [[res.euToVn, 'ceu', 'cvn'], [res.vnToEu, 'cvn', 'ceu']]) {
    if (d) d.traced = { video: tracedPath(trace, from, to, 'video'), audio: tracedPath(trace, from, to, 'audio') };
  }
}
