// Sign-in and who is signed in (/api/auth/…), and the administration of users and API tokens (admin: the role
// table, auth/roles.ts). No answer carries a secret: passwords never, a token once, when it is created.

import {
  AuthStatus,
  LoginRequest,
  Me,
  SESSION_COOKIE,
  TokenCreate,
  TokenCreated,
  TokenIdParams,
  TokenInfo,
  TokenList,
  UserCreate,
  UserInfo,
  UserList,
  UsernameParams,
  UserUpdate,
} from '@lablink/protocol/rest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppInstance } from '../app.js';
import { LoginRateLimit } from '../auth/rate-limit.js';
import { type Principal, SESSION_TTL_MS } from '../auth/service.js';
import { DomainError } from '../errors.js';
import { ErrorResponses } from './schemas.js';

export async function authRoutes(app: AppInstance): Promise<void> {
  const { auth, audit } = app.services;
  const limit = new LoginRateLimit();
  const tags = ['auth'];

  const me = (principal: Principal) => ({
    username: principal.username,
    role: principal.role,
    kind: principal.kind,
  });
  /** The principal of a route that needs one (the hook has refused requests without). */
  const principalOf = (request: FastifyRequest): Principal => request.principal as Principal;

  app.get(
    '/api/auth/status',
    {
      schema: {
        tags,
        summary: 'Whether sign-in is required (open mode: loopback and no user), and who this request is',
        response: { 200: AuthStatus },
      },
    },
    async (request) => ({
      mode: app.services.auth.open ? ('open' as const) : ('required' as const),
      me: request.principal ? me(request.principal) : null,
    }),
  );

  app.post(
    '/api/auth/login',
    {
      schema: {
        tags,
        summary:
          'Sign in with a password: sets the lablink_session cookie (httpOnly, SameSite=Strict, 12 h sliding)',
        body: LoginRequest,
        response: { 200: Me, ...ErrorResponses },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const address = request.ip;
      const wait = limit.retryAfter(username, address);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new DomainError('rate_limited', `too many failed sign-ins; try again in ${wait} s`, undefined, {
          retry_after: wait,
        });
      }
      const user = await auth.checkPassword(username, password);
      if (!user) {
        limit.fail(username, address);
        audit.write({ principal: username, kind: 'user', action: 'login_failed', address });
        throw new DomainError('unauthenticated', 'wrong username or password');
      }
      limit.succeed(username);
      setSessionCookie(request, reply, auth.createSession(user.id, address), SESSION_TTL_MS / 1000);
      audit.write({ principal: user.username, kind: 'user', action: 'login', address });
      return { username: user.username, role: user.role, kind: 'user' as const };
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { tags, summary: 'Sign out: ends this session (its WebSocket connections close)' } },
    async (request, reply) => {
      const { sessionHash } = principalOf(request);
      if (sessionHash) auth.endSession(sessionHash);
      setSessionCookie(request, reply, '', 0);
      return { success: true };
    },
  );

  app.get(
    '/api/auth/me',
    { schema: { tags, summary: 'Who this request is signed as', response: { 200: Me } } },
    async (request) => me(principalOf(request)),
  );

  // ------------------------------------------------------------------------------------------------------ users

  app.get(
    '/api/auth/users',
    { schema: { tags, summary: 'Users and their roles', response: { 200: UserList } } },
    async () => ({ users: auth.listUsers() }),
  );

  app.post(
    '/api/auth/users',
    {
      schema: {
        tags,
        summary: 'Add a user',
        body: UserCreate,
        response: { 200: UserInfo, ...ErrorResponses },
      },
    },
    async (request) => auth.addUser(request.body.username, request.body.password, request.body.role),
  );

  app.patch(
    '/api/auth/users/:username',
    {
      schema: {
        tags,
        summary: "Change a user's role or password (their sessions end)",
        params: UsernameParams,
        body: UserUpdate,
        response: { 200: UserInfo, ...ErrorResponses },
      },
    },
    async (request) => auth.updateUser(request.params.username, request.body),
  );

  app.delete(
    '/api/auth/users/:username',
    {
      schema: {
        tags,
        summary: 'Delete a user: their sessions and WebSocket connections end at once',
        params: UsernameParams,
      },
    },
    async (request) => {
      auth.deleteUser(request.params.username);
      return { success: true, username: request.params.username };
    },
  );

  // ----------------------------------------------------------------------------------------------------- tokens

  app.get(
    '/api/auth/tokens',
    { schema: { tags, summary: 'API tokens (never their secret)', response: { 200: TokenList } } },
    async () => ({ tokens: auth.listTokens() }),
  );

  app.post(
    '/api/auth/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token: the answer is the only time its secret is shown',
        body: TokenCreate,
        response: { 200: TokenCreated, ...ErrorResponses },
      },
    },
    async (request) => auth.createToken(request.body.name, request.body.role, principalOf(request)),
  );

  app.delete(
    '/api/auth/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API token: it stops working and its WebSocket connections close at once',
        params: TokenIdParams,
        response: { 200: TokenInfo, ...ErrorResponses },
      },
    },
    async (request) => auth.revokeToken(request.params.id),
  );
}

/** httpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure over https. */
function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  value: string,
  maxAgeS: number,
): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
  );
}
