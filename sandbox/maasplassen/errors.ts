/**
 * The sandbox's error answers. The vendor shows one error type (`VanNut\Exceptions\ApiKeyDisabledException`,
 * 503); the others are our choice, named in the same PHP style, and documented in the report. HTTP status is
 * always equal to `error.code` (notes: *assumed*).
 */

const NS = 'VanNut\\Exceptions\\';

/** Error types the sandbox answers with, by situation. */
export const SANDBOX_ERROR_TYPES = {
  apiKeyMissing: `${NS}ApiKeyNotFoundException`,
  apiKeyNotFound: `${NS}ApiKeyNotFoundException`,
  apiKeyDisabled: `${NS}ApiKeyDisabledException`,
  hmacMissing: `${NS}HmacMissingException`,
  hmacInvalid: `${NS}HmacInvalidException`,
  forbidden: `${NS}CompanyAccessDeniedException`,
  companyNotFound: `${NS}CompanyNotFoundException`,
  boatNotFound: `${NS}BoatNotFoundException`,
  invalidArgument: `${NS}InvalidArgumentException`,
  invalidPayload: `${NS}InvalidPayloadException`,
  availability: `${NS}AvailabilityUpdateException`,
  notFound: 'Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException',
  methodNotAllowed: 'Symfony\\Component\\HttpKernel\\Exception\\MethodNotAllowedHttpException',
  tooManyRequests: 'Symfony\\Component\\HttpKernel\\Exception\\TooManyRequestsHttpException',
  server: 'ErrorException',
} as const;

/** Thrown inside route handlers; the dispatcher turns it into the error envelope with status = code. */
export class SandboxApiError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }

  get envelope(): { error: { type: string; message: string; code: number } } {
    return { error: { type: this.type, message: this.message, code: this.code } };
  }
}

export const apiError = (code: number, type: keyof typeof SANDBOX_ERROR_TYPES, message: string) =>
  new SandboxApiError(code, SANDBOX_ERROR_TYPES[type], message);

/** Body of an injected transient fault (and of an unexpected handler crash), in the vendor's envelope. */
export function faultEnvelope(status: number): { error: { type: string; message: string; code: number } } {
  if (status === 429) {
    return { error: { type: SANDBOX_ERROR_TYPES.tooManyRequests, message: 'Too Many Attempts.', code: 429 } };
  }
  const message = status === 502 ? 'Bad Gateway' : status === 413 ? 'Request body too large' : 'Whoops, looks like something went wrong.';
  return { error: { type: SANDBOX_ERROR_TYPES.server, message, code: status } };
}
