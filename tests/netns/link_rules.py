"""The namespaces' network as a links file describes it: delay-switch.py plays it, frame-trace.py
reports it next to what it measured. One rule per line, '#' starts a comment, delays in ms, loss in %:

    SRC >  DST  DELAY [JITTER [LOSS]]            one way, SRC to DST (a HOST name or a REGION)
    A   <> B    DELAY [JITTER [LOSS]]            the same in both directions
    access HOST [HOST ...] DELAY [JITTER [LOSS]] each HOST's own access link (a person's last mile),
                                                 crossed by every frame it sends or receives

A frame from host i to host j crosses i's access link, the first pair rule found in the order
(host i, host j), (host i, region j), (region i, host j), (region i, region j), or the caller's
fallback without one, and j's access link. The access link is the person's, not the route's:
a peer in Ho Chi Minh City crosses its last mile whether it talks to the node in its city or to
one abroad.
"""
from collections import namedtuple

Link = namedtuple('Link', 'delay_ms jitter_ms loss_percent')


def _number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _link(nums, raw):
    if not 1 <= len(nums) <= 3 or not all(_number(x) for x in nums):
        raise ValueError(f'bad link rule: {raw.strip()!r}')
    values = [float(x) for x in nums] + [0.0] * (3 - len(nums))
    return Link(*values)


def parse(path):
    """(pair rules by (src, dst) name, access links by host name)."""
    pairs, access = {}, {}
    with open(path) as f:
        for raw in f:
            parts = raw.split('#', 1)[0].split()
            if not parts:
                continue
            if parts[0] == 'access':
                hosts = []
                for p in parts[1:]:
                    if _number(p):
                        break
                    hosts.append(p)
                if not hosts:
                    raise ValueError(f'bad link rule: {raw.strip()!r}')
                rule = _link(parts[1 + len(hosts):], raw)
                for host in hosts:
                    access[host] = rule
                continue
            if len(parts) < 4 or parts[1] not in ('>', '<>'):
                raise ValueError(f'bad link rule: {raw.strip()!r}')
            rule = _link(parts[3:], raw)
            pairs[(parts[0], parts[2])] = rule
            if parts[1] == '<>':
                pairs[(parts[2], parts[0])] = rule
    return pairs, access


def crossed(pairs, access, src_host, src_region, dst_host, dst_region, fallback=None):
    """The links a frame from src to dst crosses, in order (empty: it passes at once)."""
    path = []
    if src_host in access:
        path.append(access[src_host])
    for key in ((src_host, dst_host), (src_host, dst_region), (src_region, dst_host), (src_region, dst_region)):
        if key in pairs:
            path.append(pairs[key])
            break
    else:
        if fallback:
            path.append(fallback)
    if dst_host in access:
        path.append(access[dst_host])
    return path


def summed(path):
    """One Link standing for links in series: delays and jitter ranges add, losses compound."""
    delivered = 1.0
    for link in path:
        delivered *= 1.0 - link.loss_percent / 100.0
    return Link(sum(l.delay_ms for l in path), sum(l.jitter_ms for l in path), round((1.0 - delivered) * 100.0, 6))
