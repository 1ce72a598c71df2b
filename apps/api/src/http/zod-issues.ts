/** One readable sentence from zod issues, naming the field (`messages[0].content[1].image_url`). */
export interface ZodIssue {
  readonly code?: string;
  readonly path?: readonly PropertyKey[];
  readonly message: string;
  readonly errors?: readonly (readonly ZodIssue[])[];
  readonly discriminator?: string;
  readonly options?: readonly unknown[];
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

/** For a failed union, the branch that got furthest names the field best. */
interface Found {
  path: PropertyKey[];
  message: string;
  typeMismatch?: boolean;
}

function deepest(issue: ZodIssue, prefix: readonly PropertyKey[]): Found {
  const path = [...prefix, ...(issue.path ?? [])];
  if (issue.code === 'invalid_union' && issue.discriminator && issue.options) {
    return {
      path,
      message: `unknown ${issue.discriminator}; expected one of: ${issue.options.map(String).join(', ')}`,
    };
  }
  if (issue.code !== 'invalid_union' || !issue.errors || issue.errors.length === 0)
    return { path, message: issue.message, typeMismatch: issue.code === 'invalid_type' };
  let best: Found | undefined;
  for (const branch of issue.errors) {
    for (const sub of branch) {
      const candidate = deepest(sub, path);
      // The deepest branch names the field best; at equal depth, a branch whose type matched
      // (and failed a limit) explains more than one that expected another type.
      if (
        !best ||
        candidate.path.length > best.path.length ||
        (candidate.path.length === best.path.length && best.typeMismatch && !candidate.typeMismatch)
      )
        best = candidate;
    }
  }
  return best ?? { path, message: issue.message };
}

export function describeIssues(issues: readonly ZodIssue[]): { message: string; param: string | null } {
  const first = issues[0];
  if (!first) return { message: 'invalid request', param: null };
  const { path, message } = deepest(first, []);
  const param = path.length > 0 ? formatPath(path) : null;
  return { message: param ? `${param}: ${message}` : message, param };
}
