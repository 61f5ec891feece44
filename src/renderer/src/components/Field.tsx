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
