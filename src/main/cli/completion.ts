import type { Command } from './commands'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type CompletionShell = (typeof SHELLS)[number]

/** Flags whose values are folders, and flags whose values are one of a few words. */
const FOLDER_VALUES = new Set(['DIR'])
const WORD_VALUES: Readonly<Record<string, string>> = {
  PLAN: 'pro max5 max20 custom',
  SHELL: 'posix bash zsh fish powershell',
}

const flagsOf = (c: Command) => [...Object.keys(c.flags).map((f) => `--${f}`), '--help']
const groups = (commands: readonly Command[]) => {
  const byGroup = new Map<string, string[]>()
  for (const c of commands) {
    const [head, sub] = c.name.split(' ')
    if (sub) byGroup.set(head!, [...(byGroup.get(head!) ?? []), sub])
  }
  return byGroup
}
const topWords = (commands: readonly Command[]) => [...new Set(commands.map((c) => c.name.split(' ')[0]!))]

/** A bash function completing commands, their flags, folders and the words some flags take. */
function bash(commands: readonly Command[]): string {
  const valueCases = commands
    .flatMap((c) => Object.entries(c.flags).map(([f, spec]) => [`--${f}`, spec.value] as const))
    .filter(([, value]) => value && (FOLDER_VALUES.has(value) || WORD_VALUES[value]))
  const uniqueValues = [...new Map(valueCases).entries()]
  const commandCases = [...commands]
    .sort((a, b) => b.name.length - a.name.length)
    .map((c) => `    "${c.name}"|"${c.name} "*) opts="${flagsOf(c).join(' ')}" ;;`)
  const groupCases = [...groups(commands)].map(([g, subs]) => `    "${g}") opts="${subs.join(' ')} --help" ;;`)
  return `# auth-pool completion for bash: eval "$(auth-pool completion bash)", or save it in ~/.local/share/bash-completion/completions/auth-pool
_auth_pool() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" opts i
  for ((i = 1; i < COMP_CWORD; i++)); do [[ "\${COMP_WORDS[i]}" == "--" ]] && return 0; done
  case "$prev" in
${uniqueValues.map(([f, v]) => `    ${f}) ${FOLDER_VALUES.has(v!) ? 'COMPREPLY=($(compgen -d -- "$cur"))' : `COMPREPLY=($(compgen -W "${WORD_VALUES[v!]}" -- "$cur"))`}; return 0 ;;`).join('\n')}
  esac
  local words=() w
  for ((i = 1; i < COMP_CWORD; i++)); do w="\${COMP_WORDS[i]}"; [[ "$w" == -* ]] || words+=("$w"); done
  case "\${words[*]}" in
${commandCases.join('\n')}
${groupCases.join('\n')}
    "") opts="${topWords(commands).join(' ')} --help --version" ;;
    *) opts="" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _auth_pool auth-pool
`
}

/** zsh runs the bash function through its bash-completion layer. */
function zsh(commands: readonly Command[]): string {
  return `# auth-pool completion for zsh: eval "$(auth-pool completion zsh)" in ~/.zshrc (after compinit)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(commands).split('\n').slice(1).join('\n')}`
}

/** fish's own completions, with each command's summary and each flag's help. */
function fish(commands: readonly Command[]): string {
  const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  const byGroup = groups(commands)
  const top = topWords(commands)
  const lines = [
    '# auth-pool completion for fish: auth-pool completion fish > ~/.config/fish/completions/auth-pool.fish',
    'complete -c auth-pool -f',
    `complete -c auth-pool -n '__fish_use_subcommand' -l version -d 'print the version'`,
  ]
  for (const word of top) {
    const single = commands.find((c) => c.name === word)
    const summary = single?.summary ?? `${byGroup.get(word)!.join(', ')}`
    lines.push(`complete -c auth-pool -n '__fish_use_subcommand' -a ${word} -d ${quote(summary)}`)
  }
  for (const [group, subs] of byGroup)
    for (const sub of subs) {
      const c = commands.find((x) => x.name === `${group} ${sub}`)!
      lines.push(
        `complete -c auth-pool -n '__fish_seen_subcommand_from ${group}; and not __fish_seen_subcommand_from ${subs.join(' ')}' -a ${sub} -d ${quote(c.summary)}`,
      )
    }
  for (const c of commands) {
    const [head, sub] = c.name.split(' ')
    const when = sub
      ? `__fish_seen_subcommand_from ${head}; and __fish_seen_subcommand_from ${sub}`
      : `__fish_seen_subcommand_from ${head}`
    for (const [flag, spec] of Object.entries(c.flags)) {
      const takes =
        spec.value && FOLDER_VALUES.has(spec.value)
          ? ' -r -F'
          : spec.value && WORD_VALUES[spec.value]
            ? ` -x -a ${quote(WORD_VALUES[spec.value]!)}`
            : spec.type === 'string'
              ? ' -x'
              : ''
      lines.push(`complete -c auth-pool -n ${quote(when)} -l ${flag}${takes} -d ${quote(spec.help)}`)
    }
  }
  return lines.join('\n') + '\n'
}

export function completionScript(shell: CompletionShell, commands: readonly Command[]): string {
  return shell === 'bash' ? bash(commands) : shell === 'zsh' ? zsh(commands) : fish(commands)
}
