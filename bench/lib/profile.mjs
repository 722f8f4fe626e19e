// Sums a V8 .cpuprofile by function and by package, to name where a process
// spends its time without opening a profiler.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function areaOf(url) {
  if (url === '') {
    return '(native, GC and idle)';
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) {
    return modules[1];
  }
  if (url.startsWith('node:')) {
    return 'node: built-ins';
  }
  const dist = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(url);
  return dist ? dist[1] : url;
}

/** Returns a script's path from its package folder (node_modules/…) or from the build (dist/…). */
function shortPath(url) {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    return url.slice(modules + 1);
  }
  const dist = url.indexOf('/dist/');
  return dist === -1 ? url : url.slice(dist + 1);
}

/**
 * Ranks functions and packages by self time over every profile in `folder`,
 * leaving out the first `skipSeconds` of each (the process starting up).
 */
export function summariseProfiles(folder, { top = 15, skipSeconds = 0 } = {}) {
  const byFunction = new Map();
  const byArea = new Map();
  let total = 0;
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(folder, file), 'utf8'));
    const hits = new Map();
    let elapsedMicros = 0;
    profile.samples.forEach((sample, index) => {
      elapsedMicros += profile.timeDeltas[index] ?? 0;
      if (elapsedMicros >= skipSeconds * 1e6) {
        hits.set(sample, (hits.get(sample) ?? 0) + 1);
      }
    });
    for (const node of profile.nodes) {
      const count = hits.get(node.id) ?? 0;
      if (count === 0) {
        continue;
      }
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') {
        continue;
      }
      total += count;
      const where = url === '' ? '' : `${shortPath(url)}:${lineNumber + 1}`;
      const key = `${functionName || '(anonymous)'}\u0000${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + count);
      const area = areaOf(url);
      byArea.set(area, (byArea.get(area) ?? 0) + count);
    }
  }
  const ranked = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    samples: total,
    functions: ranked(byFunction).map(([key, count]) => {
      const [name, where] = key.split('\u0000');
      return { name, where, share: count / total };
    }),
    areas: ranked(byArea).map(([area, count]) => ({ area, share: count / total })),
  };
}
