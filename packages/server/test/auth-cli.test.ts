// Users and tokens through the real `lablink` command line, and the start-up refusal beyond loopback: without an
// admin (user or token) LabLink will not listen on 0.0.0.0 and says how to make one; with one it starts and
// requires sign-in, even from loopback.

import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, collect, http, runCli, startTestServer, tempDir } from './helpers.js';

const data = tempDir();
afterAll(() => data.remove());

/** `lablink <args>` with `input` on its stdin. */
function cliWithInput(args: string[], input: string) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LABLINK_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(input);
  return collect(child);
}

describe('beyond loopback', () => {
  it('refuses to start without an admin, saying how to create one', async () => {
    const run = await runCli([
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--no-sim',
      '--no-mdns',
      '--data-dir',
      data.dir,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to listen on 0.0.0.0');
    expect(run.stderr).toContain('lablink user add <name> --role admin');
    expect(run.stderr).toContain('lablink token create <name> --role admin');
    await expect(startTestServer({ LABLINK_HOST: '0.0.0.0' }, data.dir)).rejects.toThrow(
      /no admin user or admin token/,
    );
  });

  it('starts with an admin token, and requires sign-in', async () => {
    const created = await runCli(['token', 'create', 'ci', '--role', 'admin', '--data-dir', data.dir]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^ll_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown this once');
    const server = await startTestServer({ LABLINK_HOST: '0.0.0.0' }, data.dir);
    try {
      const url = `http://127.0.0.1:${server.port}`;
      expect((await http(`${url}/api/auth/status`)).body).toEqual({ mode: 'required', me: null });
      expect((await http(`${url}/api/equipment/list`)).status).toBe(401);
      const me = await http(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.body).toEqual({ username: 'ci', role: 'admin', kind: 'token' });
    } finally {
      await server.stop();
    }
  });
});

describe('lablink user and lablink token', () => {
  it('adds a user with the password from stdin, lists users; the user signs in', async () => {
    const added = await cliWithInput(
      ['user', 'add', 'alice', '--role', 'operator', '--password-stdin', '--data-dir', data.dir],
      'a long password\n',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('user alice added (operator)\n');
    const list = await runCli(['user', 'list', '--data-dir', data.dir]);
    expect(list.stdout).toMatch(/^alice\toperator\tcreated /);

    const server = await startTestServer({}, data.dir);
    try {
      const login = await http(`${server.url}/api/auth/login`, {
        body: { username: 'alice', password: 'a long password' },
      });
      expect(login.body).toEqual({ username: 'alice', role: 'operator', kind: 'user' });
    } finally {
      await server.stop();
    }
  });

  it('refuses a short password, an unknown role, a name taken', async () => {
    const short = await cliWithInput(
      ['user', 'add', 'bob', '--role', 'viewer', '--data-dir', data.dir],
      'short\n',
    );
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('shorter than 8 characters');
    const role = await runCli(['user', 'add', 'bob', '--role', 'root', '--data-dir', data.dir]);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role: must be one of viewer, operator, admin');
    const taken = await cliWithInput(
      ['user', 'add', 'alice', '--role', 'viewer', '--data-dir', data.dir],
      'password123\n',
    );
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('a user named "alice" exists');
  });

  it('lists tokens without their secret and revokes one', async () => {
    const list = await runCli(['token', 'list', '--data-dir', data.dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain('ll_');
    const [id, name, role] = list.stdout.split('\t');
    expect([name, role]).toEqual(['ci', 'admin']);
    // ci is the only admin, and alice (an operator) would be left with nobody to manage her.
    const last = await runCli(['token', 'revoke', id as string, '--data-dir', data.dir]);
    expect(last.code).toBe(2);
    expect(last.stderr).toContain('cannot revoke ci: the last admin token');
    await runCli(['token', 'create', 'ci-2', '--role', 'admin', '--data-dir', data.dir]);
    const revoked = await runCli(['token', 'revoke', id as string, '--data-dir', data.dir]);
    expect(revoked.stdout).toBe(`token ci (${id}) revoked\n`);
    expect((await runCli(['token', 'list', '--data-dir', data.dir])).stdout).toMatch(
      /^[0-9a-f-]{36}\tci-2\tadmin\t/,
    );
  });
});
