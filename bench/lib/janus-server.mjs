// Starts Debian's Janus with a config dir of its own: only the VideoRoom plugin and the WebSocket
// transport (bound to the namespace address), no STUN/TURN server, no NAT 1:1 mapping, no event
// handlers or loggers, ICE gathering limited to the namespace interface, IPv4 only, no mDNS.
import { mkdirSync, writeFileSync, symlinkSync, existsSync, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LIB = ['/usr/lib/x86_64-linux-gnu/janus', '/usr/lib/janus', '/usr/local/lib/janus'].find((d) => existsSync(join(d, 'plugins')));

export function writeJanusConfig(dir, { ip, iface, wsPort }) {
  if (!LIB) throw new Error('Janus is not installed (apt-get install -y janus)');
  for (const d of ['plugins', 'transports', 'events', 'loggers']) mkdirSync(join(dir, d), { recursive: true });
  const link = (kind, so) => { const to = join(dir, kind, so); if (!existsSync(to)) symlinkSync(join(LIB, kind, so), to); };
  link('plugins', 'libjanus_videoroom.so');
  link('transports', 'libjanus_websockets.so');
  writeFileSync(join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  log_to_stdout = true
  debug_level = 3
  debug_colors = false
  server_name = "visage-bench"
  session_timeout = 300
  hide_dependencies = true
}
certificates: {
}
media: {
  ipv6 = false
  rtp_port_range = "10001-20000"
  no_media_timer = 5
}
nat: {
  nice_debug = false
  full_trickle = false
  ice_lite = false
  ice_tcp = false
  ice_enforce_list = "${iface}"
  ignore_mdns = true
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
  broadcast = false
}
`);
  writeFileSync(join(dir, 'janus.transport.websockets.jcfg'), `general: {
  json = "compact"
  pingpong_trigger = 0
  ws = true
  ws_port = ${wsPort}
  ws_ip = "${ip}"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`);
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), `general: {
  events = false
}
`);
}

export function startJanus(dir, logPath) {
  const fd = openSync(logPath, 'a');
  const child = spawn('janus', ['-C', join(dir, 'janus.jcfg'), '-F', dir, '-o'], { stdio: ['ignore', fd, fd] });
  return child;
}
