/** RFC 9457 problem details as Keyhouse sends them (`application/problem+json`). */
export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

/** Any non-2xx answer of the API, thrown by `unwrap`. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  get code(): string | undefined {
    return this.problem.code;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Normalises whatever came back as an error body into a Problem. */
export function toProblem(body: unknown, status: number): Problem {
  if (!isRecord(body)) {
    return { status, title: typeof body === "string" && body ? body : `Request failed (${status})` };
  }
  const problem: Problem = { ...body, status };
  const errors = body.errors;
  if (Array.isArray(errors)) {
    problem.errors = errors.filter(isRecord).map((e) => ({
      field: typeof e.field === "string" ? e.field : "",
      message: typeof e.message === "string" ? e.message : "Invalid value",
    }));
  } else {
    delete problem.errors;
  }
  return problem;
}

/** A one-line, human message for a failure (toasts, inline alerts). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const p = error.problem;
    if (p.detail) return p.detail;
    if (p.title) return p.title;
    return `Request failed (${error.status})`;
  }
  if (error instanceof Error && error.message) {
    return error.name === "TypeError" ? "Cannot reach the Keyhouse server." : error.message;
  }
  return "Something went wrong.";
}

/**
 * Splits a validation problem into messages per form field. `fieldMap` renames the API's body
 * field names to the form's (e.g. `title` → `name`). Errors without a known field, and the
 * problem's detail when no field error is present, are returned in `general`.
 */
export function fieldErrors<F extends string>(
  problem: Problem,
  fields: Record<string, F>,
  codeFields: Record<string, F> = {},
): { byField: Partial<Record<F, string>>; general: string | null } {
  const byField: Partial<Record<F, string>> = {};
  const general: string[] = [];
  for (const err of problem.errors ?? []) {
    // Field names may come as "title" or as a path such as "body.title".
    const name = err.field.split(".").pop() ?? err.field;
    const target = fields[name];
    if (target && !(target in byField)) byField[target] = err.message;
    else if (!target) general.push(err.message);
  }
  const codeTarget = problem.code ? codeFields[problem.code] : undefined;
  if (codeTarget && !(codeTarget in byField)) {
    byField[codeTarget] = problem.detail ?? problem.title ?? "Invalid value";
  }
  if (Object.keys(byField).length === 0 && general.length === 0) {
    general.push(problem.detail ?? problem.title ?? "The request was refused.");
  }
  return { byField, general: general.length ? general.join(" ") : null };
}

/**
 * A field error as a sentence beside its field: the API's messages may be fragments about the
 * field ("is already used by another key"), which read well after the field's label.
 */
export function fieldSentence(label: string, message: string): string {
  const text = message.trim();
  if (!text) return `${label} is invalid.`;
  const sentence = /^[a-z]/.test(text) ? `${label} ${text}` : text;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * A failed form submission as what the form shows: a sentence beside each field the API
 * named (labelled as in the form), and one general message for the rest. Server failures
 * (5xx, network) only produce the general message.
 */
export function formErrors<F extends string>(
  error: unknown,
  fields: Record<string, F>,
  labels: Record<F, string>,
  codeFields: Record<string, F> = {},
): { errors: Partial<Record<F, string>>; general: string | null } {
  if (!(error instanceof ApiError) || error.status >= 500) {
    return { errors: {}, general: describeError(error) };
  }
  const { byField, general } = fieldErrors<F>(error.problem, fields, codeFields);
  const errors: Partial<Record<F, string>> = {};
  for (const [field, message] of Object.entries(byField) as [F, string][]) {
    errors[field] = fieldSentence(labels[field], message);
  }
  return { errors, general };
}
