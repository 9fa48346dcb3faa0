import { z } from 'zod';

/** `scrypt$N$r$p$salt$hash` as `koppel console hash-password` prints it (see password.ts). */
const HASH_FORMAT = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

export const CONSOLE_ROLES = ['viewer', 'operator'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

const userSchema = z
  .object({
    /** Sign-in name, also the name recorded with every action. */
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'expected letters, digits, ".", "_", "@" or "-" (at most 64)').describe('sign-in name'),
    /** viewer: reads every page; operator: also answers requests and starts runs. */
    role: z.enum(CONSOLE_ROLES).describe('viewer or operator'),
    /**
     * The output of `koppel console hash-password` (scrypt). Named like a secret on purpose: `config check`,
     * the logs and every page mask it like one.
     */
    hashed_password: z.string().regex(HASH_FORMAT, 'expected the output of `koppel console hash-password` (scrypt$…)').describe('scrypt hash of the password'),
  })
  .strict();

/**
 * `console:` — the web console, served by the daemon on `http.port`. Absent: no console (the default).
 * @example { path_prefix: "/console/", users: [{ name: "anna", role: "operator", hashed_password: "${ANNA_HASH}" }] }
 */
export const consoleConfigSchema = z
  .object({
    /** Where the console is served; starts and ends with "/". /healthz, /metrics and webhooks keep their paths. @default "/" */
    path_prefix: z
      .string()
      .regex(/^\/([A-Za-z0-9._-]+\/)*$/, 'expected a path that starts and ends with "/", like "/console/"')
      .default('/')
      .describe('URL path prefix of the console'),
    users: z
      .array(userSchema)
      .min(1)
      .refine((users) => new Set(users.map((u) => u.name)).size === users.length, 'expected unique user names')
      .describe('who may sign in, with their role'),
    /**
     * `auto`: the session cookie is `Secure` when the request came over TLS or through a proxy saying
     * `X-Forwarded-Proto: https`. @default "auto"
     * Not `secure_cookie`: a key ending in "cookie" is a secret's (config/secrets.ts), and its value "auto"
     * would then be scrubbed from every log line and page.
     */
    cookie_secure: z.enum(['auto', 'always', 'never']).default('auto').describe('Secure flag of the session cookie'),
    /** A session ends after this long without a request. @default 60 */
    session_idle_minutes: z.number().int().min(1).max(24 * 60).default(60).describe('idle minutes before sign-out'),
    login_throttle: z
      .object({
        /** Failed sign-ins per name, and per client address, before sign-in is refused for the window. @default 5 */
        max_failures: z.number().int().min(1).max(1000).default(5).describe('failed sign-ins allowed per window'),
        /** @default 900 */
        window_seconds: z.number().int().min(1).max(86_400).default(900).describe('throttle window in seconds'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
