/**
 * Source of the pool's worker, kept as a string so that it runs the same from the TypeScript sources (tests) and
 * from the built package, with no separate entry file to locate: Node starts it with `eval: true`, browsers from
 * a Blob URL. The worker instantiates the shared-memory kernels module over the pool's memory, then runs one
 * product export per message and answers `{ id }` or `{ id, error }`; a `blocking` message answers through an
 * int32 flag in the shared memory instead (see WorkerPool.runBlocking).
 */
const BODY = `
let exportsOf = null;
let memoryOf = null;
function handle(msg, reply) {
  if (msg && msg.type === 'init') {
    memoryOf = msg.memory;
    WebAssembly.instantiate(msg.module, { env: { memory: msg.memory } }).then(
      (instance) => { exportsOf = instance.exports; reply({ type: 'ready' }); },
      (e) => reply({ type: 'init-error', message: String((e && e.message) || e) }),
    );
    return;
  }
  if (msg && msg.type === 'blocking') {
    // The caller is blocked in Atomics.wait on the flag: answer through it (1 done, 2 failed), not a message.
    let state = 1;
    try {
      const fn = exportsOf && exportsOf[msg.kernel];
      if (typeof fn !== 'function') throw new Error('unknown kernel ' + String(msg.kernel));
      fn(...msg.args);
    } catch (e) {
      state = 2;
    }
    const flags = new Int32Array(memoryOf.buffer, msg.flag, 1);
    Atomics.store(flags, 0, state);
    Atomics.notify(flags, 0);
    return;
  }
  try {
    const fn = exportsOf && exportsOf[msg.kernel];
    if (typeof fn !== 'function') throw new Error('unknown kernel ' + String(msg.kernel));
    fn(...msg.args);
    reply({ id: msg.id });
  } catch (e) {
    reply({ id: msg.id, error: String((e && e.message) || e) });
  }
}
`;

/** The worker's source for Node (`worker_threads`, CommonJS eval) or for a Web Worker. */
export function workerScript(platform: 'node' | 'web'): string {
  return platform === 'node'
    ? `${BODY}
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => handle(m, (r) => parentPort.postMessage(r)));
`
    : `${BODY}
self.onmessage = (e) => handle(e.data, (r) => self.postMessage(r));
`;
}
