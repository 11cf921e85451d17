// Signing in: who the page acts as, the sign-in page, the user menu and the open-mode notice. The server decides
// (GET /api/auth/status): in open mode (loopback, no user yet) everyone acts as the implicit admin `local` and the
// page says so; otherwise the page shows the sign-in form until a session exists (an httpOnly cookie the browser
// sends with every request and at the WebSocket upgrade). The real-time link starts only once signed in.

import { LabLinkError } from '@lablink/client';
import {
  createContext,
  type FormEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useId,
  useState,
} from 'react';
import {
  type AuthStatus,
  isOpenMode,
  loginErrorText,
  OPEN_MODE_NOTICE,
  OPEN_PRINCIPAL,
  type Principal,
  type Role,
  roleAtLeast,
  roleBlocked,
  toPrincipal,
} from '../lib/auth';
import { describeError } from '../lib/errors';
import { useClient } from './client';

interface AuthState {
  principal: Principal | null;
  open: boolean;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthState>({
  // Outside the gate (unit renders): act as open mode, as LabLink did before sign-in existed.
  principal: OPEN_PRINCIPAL,
  open: true,
  async signOut() {},
});

export function useAuth(): AuthState {
  return useContext(AuthContext);
}

/** The signed-in role (admin in open mode). */
export function useRole(): Role | null {
  return useAuth().principal?.role ?? null;
}

/** Whether the signed-in role may do what needs `needed` (operator by default). */
export function useCan(needed: Role = 'operator'): boolean {
  return roleAtLeast(useRole(), needed);
}

/** Why what needs `needed` is disabled for the signed-in role, or null when it is allowed. */
export function useRoleBlocked(needed: Role = 'operator'): string | null {
  return roleBlocked(useRole(), needed);
}

type Phase =
  | { kind: 'checking' }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'signed-out'; status: AuthStatus }
  | { kind: 'signed-in'; principal: Principal; open: boolean };

/** Renders `children` once the page may act (open mode or a session); the sign-in page before. */
export function AuthGate({ children }: { children: ReactNode }) {
  const client = useClient();
  const { rest, realtime } = client;
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });

  const check = useCallback(async () => {
    let status: AuthStatus;
    try {
      status = await rest.request<AuthStatus>('GET', '/api/auth/status');
    } catch (err) {
      // A server without sign-in at all (older than this page): it is open.
      if (err instanceof LabLinkError && err.status === 404) {
        setPhase({ kind: 'signed-in', principal: OPEN_PRINCIPAL, open: true });
        return;
      }
      setPhase({ kind: 'unreachable', reason: describeError(err) });
      return;
    }
    if (isOpenMode(status)) {
      setPhase({ kind: 'signed-in', principal: OPEN_PRINCIPAL, open: true });
      return;
    }
    // The status names who this request is signed as (`me`); an older answer without it: ask /api/auth/me.
    if ('me' in status) {
      const principal = toPrincipal(status.me);
      setPhase(principal ? { kind: 'signed-in', principal, open: false } : { kind: 'signed-out', status });
      return;
    }
    try {
      const principal = toPrincipal(await rest.request('GET', '/api/auth/me'));
      setPhase(principal ? { kind: 'signed-in', principal, open: false } : { kind: 'signed-out', status });
    } catch (err) {
      if (err instanceof LabLinkError && (err.status === 401 || err.status === 403)) {
        setPhase({ kind: 'signed-out', status });
      } else {
        setPhase({ kind: 'unreachable', reason: describeError(err) });
      }
    }
  }, [rest]);

  useEffect(() => {
    void check();
  }, [check]);

  // Unreachable: ask again every few seconds until the server answers.
  useEffect(() => {
    if (phase.kind !== 'unreachable') return;
    const timer = window.setTimeout(() => void check(), 3000);
    return () => window.clearTimeout(timer);
  }, [phase, check]);

  const signedIn = phase.kind === 'signed-in';
  useEffect(() => {
    if (!signedIn) return;
    realtime.start();
    return () => realtime.stop();
  }, [signedIn, realtime]);

  // A session can end while the page is open (expired, signed out elsewhere, the user deleted, a role changed, the
  // first user created on an open server): checked again whenever the live link drops, the window regains focus,
  // and every 30 s. An unreachable server changes nothing here: the page says so itself and keeps its state.
  const current = phase.kind === 'signed-in' ? phase : null;
  const currentKey = current
    ? `${current.open}:${current.principal.username}:${current.principal.role}`
    : null;
  useEffect(() => {
    if (currentKey === null) return;
    let cancelled = false;
    const recheck = async () => {
      let status: AuthStatus;
      try {
        status = await rest.request<AuthStatus>('GET', '/api/auth/status');
      } catch {
        return;
      }
      let principal: Principal | null = null;
      if (isOpenMode(status)) principal = OPEN_PRINCIPAL;
      else if ('me' in status) principal = toPrincipal(status.me);
      else {
        try {
          principal = toPrincipal(await rest.request('GET', '/api/auth/me'));
        } catch (err) {
          if (!(err instanceof LabLinkError && (err.status === 401 || err.status === 403))) return;
        }
      }
      if (cancelled) return;
      if (!principal) {
        setPhase({ kind: 'signed-out', status });
        return;
      }
      const open = isOpenMode(status);
      if (`${open}:${principal.username}:${principal.role}` !== currentKey) {
        setPhase({ kind: 'signed-in', principal, open });
      }
    };
    const offMode = realtime.onMode((mode) => {
      if (mode !== 'live') void recheck();
    });
    const onFocus = () => void recheck();
    window.addEventListener('focus', onFocus);
    const timer = window.setInterval(onFocus, 30_000);
    return () => {
      cancelled = true;
      offMode();
      window.removeEventListener('focus', onFocus);
      window.clearInterval(timer);
    };
  }, [currentKey, rest, realtime]);

  const signOut = useCallback(async () => {
    try {
      await rest.request('POST', '/api/auth/logout');
    } finally {
      setPhase({ kind: 'checking' });
      await check();
    }
  }, [rest, check]);

  if (phase.kind === 'signed-in') {
    return (
      <AuthContext.Provider value={{ principal: phase.principal, open: phase.open, signOut }}>
        {children}
      </AuthContext.Provider>
    );
  }
  if (phase.kind === 'signed-out') return <SignInPage onSignedIn={() => void check()} />;
  return (
    <main className="signin-page">
      <div className="signin card" aria-busy={phase.kind === 'checking'}>
        <h1>LabLink</h1>
        {phase.kind === 'checking' ? <p>Connecting…</p> : <p role="alert">{phase.reason}. Trying again…</p>}
      </div>
    </main>
  );
}

function SignInPage({ onSignedIn }: { onSignedIn(): void }) {
  const { rest } = useClient();
  const userId = useId();
  const passId = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await rest.request('POST', '/api/auth/login', { body: { username: username.trim(), password } });
      onSignedIn();
    } catch (err) {
      setError(loginErrorText(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin-page">
      <form className="signin card" aria-label="Sign in" onSubmit={submit}>
        <h1>LabLink</h1>
        <p className="muted">Sign in to use this LabLink server.</p>
        <label htmlFor={userId}>Username</label>
        <input
          id={userId}
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
          disabled={busy}
          // biome-ignore lint/a11y/noAutofocus: the sign-in page has one thing to do
          autoFocus
        />
        <label htmlFor={passId}>Password</label>
        <input
          id={passId}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
          disabled={busy}
        />
        {error && (
          <p className="field-error signin-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !username.trim() || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

/** The header's user menu: who is signed in, with which role, and Sign out. Nothing in open mode. */
export function UserMenu() {
  const { principal, open, signOut } = useAuth();
  const [busy, setBusy] = useState(false);
  if (!principal || open) return null;
  return (
    <section className="user-menu" aria-label="Signed in">
      <span
        className="user-name"
        title={principal.kind === 'token' ? 'Signed in with an API token' : undefined}
      >
        {principal.username}
      </span>
      <span className={`role-badge role-${principal.role}`}>{principal.role}</span>
      <button
        type="button"
        className="secondary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await signOut();
          } finally {
            setBusy(false);
          }
        }}
      >
        Sign out
      </button>
    </section>
  );
}

/** A band under the header while the server runs without sign-in. */
export function OpenModeNotice() {
  const { open } = useAuth();
  if (!open) return null;
  return (
    <p className="open-mode-notice" role="note">
      {OPEN_MODE_NOTICE}
    </p>
  );
}

/** Explains, once, why the actions below are disabled for this role; nothing when the role allows them. */
export function RoleNotice({ needed = 'operator' }: { needed?: Role }) {
  const reason = useRoleBlocked(needed);
  if (!reason) return null;
  return (
    <p className="notice role-blocked" role="status">
      {reason}
    </p>
  );
}

/**
 * Operator-only actions (acknowledging alarms, running acquisitions and jobs …): for a role that may not do them,
 * every control inside is disabled (a disabled fieldset, which leaves the layout alone), with the reason above
 * when `notice` is set. The emergency stop is never inside one.
 */
export function RoleScope({
  needed = 'operator',
  notice = true,
  children,
}: {
  needed?: Role;
  notice?: boolean;
  children: ReactNode;
}) {
  const reason = useRoleBlocked(needed);
  if (!reason) return <>{children}</>;
  return (
    <>
      {notice && (
        <p className="notice role-blocked" role="status">
          {reason}
        </p>
      )}
      <fieldset className="role-scope" disabled title={reason} data-role-blocked={reason}>
        {children}
      </fieldset>
    </>
  );
}
