// The Admin panel (admins only): the users who may sign in (add, change role, reset password, delete), the API
// tokens of scripts and the SDK (create — the token is shown once, with a copy button —, list with last use,
// revoke) and the audit log (who did what, when, from where), newest first, a page at a time.

import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { useAuth } from '../../app/auth';
import { useClient } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { ErrorAlert } from '../../components/ErrorAlert';
import {
  type AuditRow,
  assignableRoles,
  auditDetailText,
  listIn,
  nextAuditCursor,
  type Role,
  type TokenRow,
  tokenSecretIn,
  type UserRow,
} from '../../lib/auth';
import { describeError } from '../../lib/errors';
import type { PanelProps } from '../index';

function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function AdminPanel(_props: PanelProps) {
  return (
    <div className="admin-panel">
      <Users />
      <Tokens />
      <AuditLog />
    </div>
  );
}

function RoleSelect({
  value,
  onChange,
  label,
  disabled,
}: {
  value: Role;
  onChange(r: Role): void;
  label: string;
  disabled?: boolean;
}) {
  const { principal } = useAuth();
  return (
    <select
      aria-label={label}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value as Role)}
    >
      {assignableRoles(principal?.role ?? null).map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

// ---- users -------------------------------------------------------------------------------------------------------

function Users() {
  const { rest } = useClient();
  const notify = useNotify();
  const { principal } = useAuth();
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setUsers(listIn<UserRow>(await rest.request('GET', '/api/auth/users'), 'users'));
      setError(null);
    } catch (err) {
      setError(`Users not loaded: ${describeError(err)}`);
    }
  }, [rest]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      notify('success', what);
    } catch (err) {
      notify('error', `${what} failed: ${describeError(err)}`);
    } finally {
      await load();
    }
  };

  return (
    <section className="card admin-section" aria-label="Users">
      <h2>Users</h2>
      <ErrorAlert message={error} />
      <table className="data-table compact">
        <thead>
          <tr>
            <th>Username</th>
            <th>Role</th>
            <th>Created</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {(users ?? []).map((u) => (
            <UserRowView
              key={u.username}
              user={u}
              self={u.username === principal?.username}
              onRole={(role) =>
                act(`${u.username} is now ${role}`, () =>
                  rest.request('PATCH', `/api/auth/users/${encodeURIComponent(u.username)}`, {
                    body: { role },
                  }),
                )
              }
              onPassword={(password) =>
                act(`Password of ${u.username} reset`, () =>
                  rest.request('PATCH', `/api/auth/users/${encodeURIComponent(u.username)}`, {
                    body: { password },
                  }),
                )
              }
              onDelete={() =>
                act(`User ${u.username} deleted`, () =>
                  rest.request('DELETE', `/api/auth/users/${encodeURIComponent(u.username)}`),
                )
              }
            />
          ))}
          {users?.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No users yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <AddUser onAdded={load} />
    </section>
  );
}

function UserRowView({
  user,
  self,
  onRole,
  onPassword,
  onDelete,
}: {
  user: UserRow;
  self: boolean;
  onRole(r: Role): void;
  onPassword(p: string): void;
  onDelete(): void;
}) {
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [confirming, setConfirming] = useState(false);
  return (
    <tr>
      <td>
        {user.username}
        {self && <span className="muted"> (you)</span>}
      </td>
      <td>
        <RoleSelect label={`Role of ${user.username}`} value={user.role} onChange={onRole} disabled={self} />
      </td>
      <td>{when(user.created_at)}</td>
      <td className="admin-actions">
        {resetting ? (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              onPassword(password);
              setPassword('');
              setResetting(false);
            }}
          >
            <input
              type="password"
              aria-label={`New password for ${user.username}`}
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <button type="submit" disabled={!password}>
              Set password
            </button>
            <button type="button" className="secondary" onClick={() => setResetting(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <button type="button" className="secondary" onClick={() => setResetting(true)}>
            Reset password
          </button>
        )}
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={onDelete}>
              Yes, delete {user.username}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="secondary" onClick={() => setConfirming(true)} disabled={self}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}

function AddUser({ onAdded }: { onAdded(): void }) {
  const { rest } = useClient();
  const notify = useNotify();
  const nameId = useId();
  const passId = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await rest.request('POST', '/api/auth/users', { body: { username: username.trim(), password, role } });
      notify('success', `User ${username.trim()} added (${role})`);
      setUsername('');
      setPassword('');
      setError(null);
      onAdded();
    } catch (err) {
      setError(`User not added: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form admin-add" aria-label="Add a user" onSubmit={submit}>
      <label htmlFor={nameId}>Username</label>
      <input id={nameId} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
      <label htmlFor={passId}>Password</label>
      <input
        id={passId}
        type="password"
        autoComplete="new-password"
        placeholder="at least 8 characters"
        minLength={8}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <RoleSelect label="Role of the new user" value={role} onChange={setRole} />
      <button type="submit" disabled={busy || !username.trim() || !password}>
        Add user
      </button>
      <ErrorAlert message={error} />
    </form>
  );
}

// ---- tokens ------------------------------------------------------------------------------------------------------

function Tokens() {
  const { rest } = useClient();
  const notify = useNotify();
  const nameId = useId();
  const [tokens, setTokens] = useState<TokenRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);

  const load = useCallback(async () => {
    try {
      setTokens(listIn<TokenRow>(await rest.request('GET', '/api/auth/tokens'), 'tokens'));
      setError(null);
    } catch (err) {
      setError(`Tokens not loaded: ${describeError(err)}`);
    }
  }, [rest]);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const body = await rest.request('POST', '/api/auth/tokens', { body: { name: name.trim(), role } });
      const secret = tokenSecretIn(body);
      setCreated(secret ? { name: name.trim(), secret } : null);
      setCopied(false);
      setName('');
      notify('success', `Token ${name.trim()} created (${role})`);
    } catch (err) {
      notify('error', `Token not created: ${describeError(err)}`);
    } finally {
      await load();
    }
  };

  const revoke = async (t: TokenRow) => {
    try {
      await rest.request('DELETE', `/api/auth/tokens/${encodeURIComponent(t.id)}`);
      notify('success', `Token ${t.name} revoked`);
    } catch (err) {
      notify('error', `Token ${t.name} not revoked: ${describeError(err)}`);
    } finally {
      await load();
    }
  };

  return (
    <section className="card admin-section" aria-label="API tokens">
      <h2>API tokens</h2>
      <p className="muted">
        For scripts and the SDK: sent as "Authorization: Bearer …". A token is shown once.
      </p>
      <ErrorAlert message={error} />
      {created && (
        <div className="token-once notice" role="status" aria-label="New token">
          <p>
            Token <strong>{created.name}</strong>: copy it now, it will not be shown again.
          </p>
          <code className="mono token-secret">{created.secret}</code>
          <button
            type="button"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(created.secret);
                setCopied(true);
              } catch {
                notify('error', 'The browser did not allow copying: select the token and copy it');
              }
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
          <button type="button" className="secondary" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <table className="data-table compact">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {(tokens ?? []).map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.role}</td>
              <td>
                {when(t.created_at)}
                {t.created_by ? ` by ${t.created_by}` : ''}
              </td>
              <td>{t.last_used_at ? when(t.last_used_at) : 'never'}</td>
              <td>
                {t.revoked_at ? (
                  <span className="muted">revoked {when(t.revoked_at)}</span>
                ) : (
                  <button type="button" className="secondary" onClick={() => revoke(t)}>
                    Revoke {t.name}
                  </button>
                )}
              </td>
            </tr>
          ))}
          {tokens?.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No tokens.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form className="inline-form admin-add" aria-label="Create a token" onSubmit={create}>
        <label htmlFor={nameId}>Token name</label>
        <input id={nameId} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        <RoleSelect label="Role of the new token" value={role} onChange={setRole} />
        <button type="submit" disabled={!name.trim()}>
          Create token
        </button>
      </form>
    </section>
  );
}

// ---- audit log ---------------------------------------------------------------------------------------------------

const AUDIT_PAGE = 50;

function AuditLog() {
  const { rest } = useClient();
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [rows, setRows] = useState<AuditRow[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const before = pages[pages.length - 1] ?? null;

  const load = useCallback(async () => {
    try {
      const body = await rest.request('GET', '/api/audit', {
        query: { limit: AUDIT_PAGE, before: before ?? undefined },
      });
      const entries = listIn<AuditRow>(body, 'entries', 'events', 'audit', 'items');
      setRows(entries);
      setNext(nextAuditCursor(body, entries, AUDIT_PAGE));
      setError(null);
    } catch (err) {
      setError(`Audit log not loaded: ${describeError(err)}`);
    }
  }, [rest, before]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="card admin-section" aria-label="Audit log">
      <h2>Audit log</h2>
      <ErrorAlert message={error} />
      <div className="inline-form">
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
        <button
          type="button"
          className="secondary"
          disabled={pages.length <= 1}
          onClick={() => setPages([null])}
        >
          Newest
        </button>
        <button
          type="button"
          className="secondary"
          disabled={pages.length <= 1}
          onClick={() => setPages((p) => p.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          className="secondary"
          disabled={next === null}
          onClick={() => setPages((p) => [...p, next])}
        >
          Older
        </button>
      </div>
      <table className="data-table compact audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Detail</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((r) => (
            <tr key={r.id}>
              <td>{when(r.at)}</td>
              <td>
                {r.principal}
                {r.kind && r.kind !== 'user' ? <span className="muted"> ({r.kind})</span> : null}
              </td>
              <td className="mono">{r.action}</td>
              <td className="mono">{r.target ?? ''}</td>
              <td className="audit-detail">{auditDetailText(r.detail)}</td>
              <td className="mono">{r.address ?? ''}</td>
            </tr>
          ))}
          {rows?.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                Nothing logged yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
