// `lablink user …` and `lablink token …`: users and API tokens managed on the server's machine, straight in its
// database (the server may be running: it reads users and tokens from the database on each request). This is how
// the first admin is made, before LabLink may listen beyond loopback. Each change is written to the audit log.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MIN_PASSWORD_LENGTH, ROLES, type Role, USERNAME_PATTERN } from '@lablink/protocol/rest';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../storage/database.js';
import { AuditLog } from './audit.js';
import { AuthService } from './service.js';

export const AUTH_HELP = `  lablink user add <name> --role <viewer|operator|admin> [--password-stdin]
                              add a user (asks for the password, or reads it from stdin)
  lablink user list           list users and their roles
  lablink user delete <name>  delete a user (their sessions end)
  lablink token create <name> --role <viewer|operator|admin>
                              create an API token for scripts and print it (shown this once)
  lablink token list          list API tokens (never their secret)
  lablink token revoke <id>   revoke a token
  (all take --data-dir <path>, as serve does)`;

/** The CLI acts as the machine's administrator. */
const CLI_PRINCIPAL = { username: 'cli', role: 'admin' as Role };
const USERNAME = new RegExp(USERNAME_PATTERN);

export async function userCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, name] = positionals;
  return withAuth(values['data-dir'], async (auth, audit) => {
    if (action === 'list') {
      for (const user of auth.listUsers()) out(`${user.username}\t${user.role}\tcreated ${user.created_at}`);
      return 0;
    }
    if (action === 'add' && name) {
      if (!USERNAME.test(name) || name.length > 64) {
        throw new ConfigError('<name>', `"${name}" is not a username (letters, digits and . _ @ -)`);
      }
      const role = parseRole(values.role);
      const password = await readPassword(Boolean(values['password-stdin']));
      if (password.length < MIN_PASSWORD_LENGTH) {
        throw new ConfigError('password', `is shorter than ${MIN_PASSWORD_LENGTH} characters`);
      }
      await auth.addUser(name, password, role);
      audit.write({ ...cli, action: 'user add', target: name, detail: { role } });
      out(`user ${name} added (${role})`);
      return 0;
    }
    if (action === 'delete' && name) {
      auth.deleteUser(name);
      audit.write({ ...cli, action: 'user delete', target: name });
      out(`user ${name} deleted`);
      return 0;
    }
    throw new ConfigError('user', 'expected: user add <name> --role R | user list | user delete <name>');
  });
}

export async function tokenCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { role: { type: 'string' }, 'data-dir': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, arg] = positionals;
  return withAuth(values['data-dir'], async (auth, audit) => {
    if (action === 'list') {
      for (const t of auth.listTokens()) {
        out(
          `${t.id}\t${t.name}\t${t.role}\tcreated ${t.created_at} by ${t.created_by}\tlast used ${t.last_used_at ?? 'never'}`,
        );
      }
      return 0;
    }
    if (action === 'create' && arg) {
      const role = parseRole(values.role);
      const created = auth.createToken(arg, role, CLI_PRINCIPAL);
      audit.write({ ...cli, action: 'token create', target: created.id, detail: { name: arg, role } });
      out(created.token);
      process.stderr.write(
        `token "${arg}" (${role}, id ${created.id}) created: shown this once; send it as "Authorization: Bearer <token>"\n`,
      );
      return 0;
    }
    if (action === 'revoke' && arg) {
      const revoked = auth.revokeToken(arg);
      audit.write({ ...cli, action: 'token revoke', target: arg, detail: { name: revoked.name } });
      out(`token ${revoked.name} (${arg}) revoked`);
      return 0;
    }
    throw new ConfigError('token', 'expected: token create <name> --role R | token list | token revoke <id>');
  });
}

const cli = { principal: 'cli', kind: 'cli', address: null };

async function withAuth(
  dataDir: string | undefined,
  run: (auth: AuthService, audit: AuditLog) => Promise<number>,
): Promise<number> {
  const config = loadConfig({ flags: { dataDir } });
  const db = openDatabase(config.dataDir);
  try {
    return await run(new AuthService(db, true), new AuditLog(db));
  } finally {
    db.close();
  }
}

function parseRole(value: string | undefined): Role {
  if (!ROLES.includes(value as Role)) throw new ConfigError('--role', `must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

/** From stdin (its first line) when asked or when stdin is not a terminal; else asked for, without echo. */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write('Password: ');
  // Typed characters are not echoed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const password = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return password;
}
