// A re-own helper thread (src/reown.ts starts it with new Worker on the bundle the build makes of this
// module, dist/reown-helper.cjs). It walks with the same step and the same real calls as the calling
// thread (src/reown/walk.ts): descriptor-pinned, never through a symlink.

import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { HUNGRY, MAIN, REAL_OPS, STOP, makeWalker, type FromHelper, type HelperData, type ToHelper } from './walk.js';

// A helper thread's life: report idle, wait for items, walk them (handing half of its pending items
// back whenever a participant waits for work), until told to stop.
function helperMain(data: HelperData): void {
  const { port, ctl, slot } = data;
  const counts = { visited: 0, changed: 0, denied: 0 };
  const { step, closeItem } = makeWalker(data.uid, data.gid, data.exclude, REAL_OPS, counts);
  const send = (m: FromHelper) => {
    port.postMessage(m);
    Atomics.add(ctl, MAIN, 1);
    Atomics.notify(ctl, MAIN);
  };
  let sent = 0;
  for (;;) {
    Atomics.add(ctl, HUNGRY, 1);
    send({ t: 'idle', counts });
    let m;
    for (;;) {
      const seen = Atomics.load(ctl, slot);
      m = receiveMessageOnPort(port)?.message as ToHelper | undefined;
      if (m) break;
      Atomics.wait(ctl, slot, seen);
    }
    if ('stop' in m) return;
    const stack = m.items;
    try {
      while (stack.length) {
        if (Atomics.load(ctl, STOP)) {
          for (const it of stack) closeItem(it);
          return;
        }
        step(stack);
        if (stack.length > 1 && Atomics.load(ctl, HUNGRY) > 0) send({ t: 'work', items: stack.splice(0, stack.length >> 1) });
        if (counts.visited - sent >= 2048) {
          sent = counts.visited;
          send({ t: 'count', counts });
        }
      }
    } catch (e) {
      const { message, code, errno, syscall, path } = e as NodeJS.ErrnoException;
      for (const it of stack) closeItem(it);
      send({ t: 'error', error: { message: String(message ?? e), code, errno, syscall, path } });
      return;
    }
  }
}

helperMain(workerData as HelperData);
