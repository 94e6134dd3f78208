/**
 * The dashboard page: connects to the coordinator's `/view` namespace with the viewer
 * token from its URL, takes the run so far (a snapshot), then applies the batches of
 * events it is sent with the same reducer the coordinator uses (shared/observe), and
 * redraws at most once per animation frame. It only reads: it emits nothing.
 */
import { io } from 'socket.io-client';
import type { RunEvent } from '../../../../shared/observe/run-events.js';
import { applyEvent, type RunSnapshot } from '../../../../shared/observe/snapshot.js';
import { renderArms } from './arms.js';
import { renderCharts } from './charts.js';
import { renderClients } from './clients.js';
import { byId } from './dom.js';
import { renderEvents } from './events.js';
import { renderHeader } from './header.js';
import { renderSeeds } from './seeds.js';
import { renderTimeline } from './timeline.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
// The token stays out of the address bar (and of anything copied from it) once read.
history.replaceState(null, '', location.pathname);

let snapshot: RunSnapshot | null = null;
let seq = 0;
let live = false;
let drawPending = false;

const status = byId('status');
function setStatus(connection: string, text: string): void {
  status.dataset.connection = connection;
  status.textContent = text;
}

function draw(): void {
  drawPending = false;
  if (!snapshot) return;
  const now = live && !snapshot.done ? Date.now() : snapshot.updatedAt;
  renderHeader(snapshot, now);
  renderSeeds(snapshot);
  renderClients(snapshot);
  renderArms(snapshot);
  renderTimeline(snapshot, now);
  renderCharts(snapshot);
  renderEvents(snapshot);
  document.body.dataset.events = String(seq);
}

function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

const socket = io('/view', { auth: { token }, transports: ['websocket'], reconnectionDelayMax: 10_000 });
socket.on('connect', () => setStatus('live', 'connected'));
socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
  const refused = err.data?.code === 'unauthorized' || err.data?.code === 'locked_out';
  setStatus(refused ? 'refused' : 'lost', refused ? `refused: ${err.message}` : `cannot reach the coordinator (${err.message}); retrying`);
  // A refused token will not get better by retrying.
  if (refused) socket.disconnect();
});
socket.on('disconnect', () => setStatus(snapshot?.done ? 'ended' : 'lost', snapshot?.done ? 'the run ended' : 'disconnected; retrying'));
socket.on('snapshot', (message: { seq: number; snapshot: RunSnapshot; live: boolean }) => {
  snapshot = message.snapshot;
  seq = message.seq;
  live = message.live;
  setStatus(live ? 'live' : 'finished', live ? 'live' : 'recorded run (streamssl view)');
  scheduleDraw();
});
socket.on('events', (message: { events: Array<[number, RunEvent]> }) => {
  if (!snapshot) return;
  for (const [n, event] of message.events) {
    // Already in the snapshot it was sent on connecting.
    if (n <= seq) continue;
    applyEvent(snapshot, event);
    seq = n;
  }
  scheduleDraw();
});
// Redraws the clocks (elapsed time, running stages) while nothing else happens.
setInterval(() => {
  if (live && snapshot && !snapshot.done) scheduleDraw();
}, 1000);
