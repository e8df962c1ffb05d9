import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  mutatingIntervals,
  overlappingMutations,
  readHelmOps,
} from './helmLog';

function log(lines: object[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-log-'));
  const file = path.join(dir, 'helm.jsonl');
  fs.writeFileSync(
    file,
    `${lines.map(l => JSON.stringify(l)).join('\n')}\n{"event":"st`,
  );
  return file;
}

/** The wrapper's lines of one helm run: start, exec (helm spawned) and, when it exited, end. */
function op(
  id: string,
  replica: string,
  sub: string,
  ns: string,
  start: number,
  end?: number,
): object[] {
  const line = (event: string, at: object) => ({
    event,
    id,
    pid: 1,
    replica,
    sub,
    release: 'r',
    namespace: ns,
    ...at,
  });
  return [
    line('start', { start }),
    line('exec', { exec: start + 1 }),
    ...(end === undefined ? [] : [line('end', { end, exitCode: 0 })]),
  ];
}

describe('helm wrapper log', () => {
  it('folds start/exec/end lines, skipping a torn last line', () => {
    const ops = readHelmOps(log(op('1', 'a', 'upgrade', 'n1', 100, 200)));
    expect(ops).toEqual([
      expect.objectContaining({
        id: '1',
        sub: 'upgrade',
        start: 100,
        exec: 101,
        end: 200,
        exitCode: 0,
      }),
    ]);
  });

  it('finds overlapping mutations per namespace, ignoring reads and other namespaces', () => {
    const ops = readHelmOps(
      log([
        ...op('1', 'a', 'upgrade', 'n1', 100, 200),
        ...op('2', 'b', 'status', 'n1', 150, 160),
        ...op('3', 'b', 'upgrade', 'n2', 150, 160),
        ...op('4', 'b', 'uninstall', 'n1', 210, 300),
        ...op('5', 'a', 'upgrade', 'n1', 250, 260),
      ]),
    );
    const pairs = overlappingMutations(ops, {});
    expect(pairs.map(([x, y]) => [x.op.id, y.op.id])).toEqual([['4', '5']]);
  });

  it('a run without an exit lasts until its replica was killed, or for ever', () => {
    const ops = readHelmOps(
      log([
        ...op('1', 'a', 'upgrade', 'n1', 100),
        ...op('2', 'b', 'uninstall', 'n1', 500, 600),
      ]),
    );
    expect(overlappingMutations(ops, { a: 400 })).toEqual([]);
    expect(overlappingMutations(ops, { a: 550 })).toHaveLength(1);
    expect(overlappingMutations(ops, {})).toHaveLength(1);
    expect(mutatingIntervals(ops, { a: 400 })[0]).toMatchObject({
      from: 101,
      to: 400,
      until: 'killed',
    });
  });

  it('a wrapper that died before spawning helm did nothing', () => {
    const ops = readHelmOps(
      log([
        op('1', 'a', 'upgrade', 'n1', 100)[0], // the start line only
        ...op('2', 'b', 'upgrade', 'n1', 150, 600),
      ]),
    );
    expect(overlappingMutations(ops, { a: 400 })).toEqual([]);
  });
});
