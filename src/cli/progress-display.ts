import type { SingleBar } from 'cli-progress';
import type { KoppelEvents } from '../core/events.js';

/**
 * Shows `progress` events: a bar on a terminal, a plain line at most every 5 s otherwise (for logs in files
 * and containers). Returns a function that stops the display.
 */
export async function showProgress(events: KoppelEvents, stream: NodeJS.WriteStream = process.stderr): Promise<() => void> {
  // cli-progress is loaded only to draw on a terminal; a backfill logging to a file never needs it.
  const bars = stream.isTTY ? await import('cli-progress') : undefined;
  let bar: SingleBar | undefined;
  let phase = '';
  let lastLine = 0;
  const off = events.on('progress', (p) => {
    if (bars) {
      if (!bar || p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = new bars.SingleBar({ format: `${p.pipeline} ${p.phase} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`, stream }, bars.Presets.shades_classic);
        bar.start(p.total, p.done);
      }
      bar.setTotal(p.total);
      bar.update(p.done);
    } else if (Date.now() - lastLine >= 5000 || p.done === p.total) {
      lastLine = Date.now();
      stream.write(`${p.pipeline} ${p.phase}: ${p.done}/${p.total}\n`);
    }
  });
  return () => {
    off();
    bar?.stop();
  };
}
