// Pieces both pages use: the sign-in form, the banner while the connection is down, and a polite
// live region that reads out what just happened.

import { useState } from 'preact/hooks';

export function Banner({ state }: { state: 'online' | 'connecting' | 'offline' }) {
  if (state === 'online') return null;
  return (
    <div class="banner" role="alert">
      {state === 'offline' ? 'Connection lost. Reconnecting… Your work is kept; invites that were open are withdrawn.' : 'Connecting…'}
    </div>
  );
}

export interface SignInField {
  name: string;
  label: string;
  initial?: string;
  secret?: boolean;
  required?: boolean;
}

/** A sign-in form: the fields a page needs, and a token or API key when the server asks for one. */
export function SignIn({ title, fields, needsToken, error, onSignIn }: { title: string; fields: SignInField[]; needsToken: boolean; error: string | null; onSignIn: (values: Record<string, string>) => void }) {
  const [values, setValues] = useState<Record<string, string>>(Object.fromEntries(fields.map((field) => [field.name, field.initial ?? ''])));
  const all: SignInField[] = needsToken ? [...fields, { name: 'token', label: 'Token or API key', secret: true, required: true }] : fields;
  return (
    <form
      class="sign-in"
      aria-label={title}
      onSubmit={(event) => {
        event.preventDefault();
        onSignIn(values);
      }}
    >
      <h1>{title}</h1>
      {all.map((field) => (
        <label key={field.name}>
          {field.label}
          {field.secret === true ? (
            <input name={field.name} type="password" autocomplete="off" required={field.required ?? true} value={values[field.name] ?? ''} onInput={(event) => setValues({ ...values, [field.name]: (event.target as HTMLInputElement).value })} />
          ) : (
            <input name={field.name} type="text" autocomplete="off" required={field.required ?? true} value={values[field.name] ?? ''} onInput={(event) => setValues({ ...values, [field.name]: (event.target as HTMLInputElement).value })} />
          )}
        </label>
      ))}
      {error !== null && <p class="error" role="alert">{error}</p>}
      <button type="submit">Sign in</button>
    </form>
  );
}

export function LiveMessage({ text }: { text: string }) {
  return <p class="live" role="status" aria-live="polite">{text}</p>;
}
