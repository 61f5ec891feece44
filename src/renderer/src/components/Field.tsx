import { useId, type ReactNode } from 'react'

/** A labelled input with its validation error announced next to it. */
export function Field(props: {
  label: string
  error?: string
  hint?: string
  children: (id: string, describedBy: string | undefined) => ReactNode
}) {
  const id = useId()
  const errorId = `${id}-error`
  return (
    <div className={`field ${props.error ? 'invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, props.error ? errorId : undefined)}
      {props.hint && !props.error && <small>{props.hint}</small>}
      {props.error && (
        <small id={errorId} className="error" role="alert">
          {props.error}
        </small>
      )}
    </div>
  )
}

/** A Field holding one text input, marked invalid while its error shows: the common case. */
export function TextField(props: {
  label: string
  error?: string
  hint?: string
  value: string
  onChange: (text: string) => void
  inputMode?: 'decimal' | 'numeric'
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(id, describedBy) => (
        <input
          id={id}
          aria-describedby={describedBy}
          aria-invalid={!!props.error}
          inputMode={props.inputMode}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  )
}
