#!/usr/bin/env node
/*
 * A recording stand-in for helm, given to a test replica as `devSessions.helm.binary`.
 *
 * It runs the real helm ($HELM_WRAPPER_REAL) with the same argv (no shell) and appends JSON
 * lines to $HELM_WRAPPER_LOG, one write per line (O_APPEND, so lines of concurrent wrappers
 * never interleave):
 *   {"event":"start", id, pid, replica, sub, release, namespace, start}   the wrapper began
 *   {"event":"exec",  id, pid, replica, sub, release, namespace, exec}    the real helm is spawned
 *   {"event":"end",   id, pid, replica, sub, release, namespace, end, exitCode, signal}
 * A wrapper killed together with its replica (SIGKILL of the process group) writes no `end`.
 *
 * $HELM_WRAPPER_CONTROL may name a JSON file read at every call:
 *   {"sleepMs": {"upgrade": 3000}, "namespaces": ["<uuid>"]}
 * sleeps that long before spawning helm for those sub-commands (only in the listed namespaces
 * when `namespaces` is given), which widens the window in which a test can kill a replica.
 *
 * The harness copies this file next to the test's log with a shebang naming the Node that
 * runs the tests, and makes the copy executable.
 */
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');

const argv = process.argv.slice(2);
const real = process.env.HELM_WRAPPER_REAL;
const logFile = process.env.HELM_WRAPPER_LOG;
if (!real || !logFile) {
  process.stderr.write(
    'helm-wrapper: HELM_WRAPPER_REAL and HELM_WRAPPER_LOG must be set\n',
  );
  process.exit(127);
}

// flags of the helm calls we see that take a separate value
const VALUE_FLAGS = new Set([
  '-n',
  '--namespace',
  '-f',
  '--values',
  '--timeout',
  '--history-max',
  '--version',
  '--repo',
  '-o',
  '--output',
  '--kubeconfig',
  '--kube-context',
  '--max',
  '--set',
  '--set-string',
  '--set-file',
]);

function parse(args) {
  const positional = [];
  let namespace;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--namespace' || a === '-n') {
      namespace = args[++i];
    } else if (a.startsWith('--namespace=')) {
      namespace = a.slice('--namespace='.length);
    } else if (a.startsWith('-')) {
      if (VALUE_FLAGS.has(a)) i++;
    } else {
      positional.push(a);
    }
  }
  return { sub: positional[0], release: positional[1], namespace };
}

const info = {
  id: crypto.randomUUID(),
  pid: process.pid,
  replica: process.env.HELM_WRAPPER_REPLICA ?? null,
  ...parse(argv),
};

function record(event, extra) {
  fs.appendFileSync(
    logFile,
    `${JSON.stringify({ event, ...info, ...extra })}\n`,
  );
}

function control() {
  const file = process.env.HELM_WRAPPER_CONTROL;
  if (!file) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

record('start', { start: Date.now(), args: argv });

const c = control();
const inScope = !c.namespaces || c.namespaces.includes(info.namespace);
const sleepMs = inScope ? Number(c.sleepMs?.[info.sub] ?? 0) : 0;

let child;
let forwarded;
/** Passes a signal on to helm; before helm runs, records the end and exits. */
function onSignal(sig) {
  forwarded = sig;
  if (child) child.kill(sig);
  else {
    record('end', { end: Date.now(), exitCode: null, signal: sig });
    process.exit(128 + 15);
  }
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, onSignal);

setTimeout(() => {
  // recorded before the spawn: if the replica dies in between, the interval only grows
  record('exec', { exec: Date.now() });
  child = spawn(real, argv, { stdio: 'inherit' });
  child.on('error', e => {
    record('end', { end: Date.now(), exitCode: 127, error: String(e) });
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    record('end', {
      end: Date.now(),
      exitCode: code,
      signal: signal ?? forwarded ?? null,
    });
    process.exit(code ?? 128 + 15);
  });
}, sleepMs);
