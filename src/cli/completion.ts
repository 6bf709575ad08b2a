/**
 * `daemonkit completion bash|zsh|fish`: a completion script, generated from the option table
 * (config/table/), so it offers exactly what the parser takes. Service names for --name are read by
 * the shell from $DAEMONKIT_HOME's directories when Tab is pressed (no node start per Tab);
 * its default is paths.ts' daemonkitHome(), written again in each shell's words.
 */
import { COMMANDS, FLAGS, LOGS_SHORT, SHORT, flagsOf, type CommandName } from './flags.js';
import { ABOUT } from './help.js';
import { NAME_PATTERN } from '../config/paths.js';
import { OPTIONS, type Completion } from '../config/table/index.js';

/** What an option's value is completed with (its kind's, in the option table); an option not
 *  here takes a value of its own making. */
const VALUES: Readonly<Record<string, Completion>> = Object.fromEntries(
  OPTIONS.filter((r) => r.kind.value !== undefined && r.kind.complete).map((r) => [
    r.name,
    r.kind.complete!,
  ]),
);
/** Commands whose COMMAND comes after `--`. */
const TAKES_COMMAND: readonly CommandName[] = ['start', 'run', 'restart', 'export'];
const words = (list: readonly string[]): string => list.join(' ');
const commandWords = words([...COMMANDS, 'ls', 'help']);

export function completionScript(shell: 'bash' | 'zsh' | 'fish'): string {
  return shell === 'fish'
    ? fishScript()
    : shell === 'zsh'
      ? zshScript()
      : `${bashInstall}\n${bashFunctions()}\ncomplete -F _daemonkit daemonkit\n`;
}

const bashInstall = `# daemonkit completion for bash. Install: add to ~/.bashrc
#   source <(daemonkit completion bash)`;

/** $DAEMONKIT_HOME, else /run/daemonkit for root, else $XDG_RUNTIME_DIR/daemonkit, else
 *  ~/.local/state/daemonkit. */
const bashHome = `_daemonkit_home() {
  if [[ -n $DAEMONKIT_HOME ]]; then printf '%s\\n' "$DAEMONKIT_HOME"
  elif (( EUID == 0 )); then printf '%s\\n' /run/daemonkit
  elif [[ $XDG_RUNTIME_DIR == /* ]]; then printf '%s\\n' "$XDG_RUNTIME_DIR/daemonkit"
  else printf '%s\\n' "$HOME/.local/state/daemonkit"; fi
}
# Service names: the directories under the home whose name keeps the name rule (paths.ts), and that
# start with the word typed ($1), into COMPREPLY. A directory's name is anyone's text: it is matched
# whole, and never expanded, split or globbed (no compgen -W, which expands each word).
_daemonkit_names() {
  local home d re='${NAME_PATTERN}' LC_ALL=C # the ranges as in JavaScript, whatever the locale
  COMPREPLY=()
  home=$(_daemonkit_home)
  for d in "$home"/*/; do
    d=\${d%/}; d=\${d##*/}
    [[ $d =~ $re && $d == "$1"* ]] && COMPREPLY+=("$d")
  done
}
# COMPREPLY from a command's output, one word a line: not split at spaces, not taken as a glob.
_daemonkit_lines() {
  local l
  COMPREPLY=()
  while IFS= read -r l; do COMPREPLY+=("$l"); done < <("$@")
}`;

function bashValueCases(): string {
  const cases: string[] = [];
  const byKind = new Map<string, string[]>();
  for (const [name, kind] of Object.entries(VALUES)) {
    const key = typeof kind === 'string' ? kind : `words:${words(kind)}`;
    byKind.set(key, [...(byKind.get(key) ?? []), `--${name}`]);
  }
  const action: Record<string, string> = {
    names: '_daemonkit_names "$cur"',
    files: 'compopt -o filenames 2>/dev/null; _daemonkit_lines compgen -f -- "$cur"',
    dirs: 'compopt -o filenames 2>/dev/null; _daemonkit_lines compgen -d -- "$cur"',
    users: '_daemonkit_lines compgen -u -- "$cur"',
    groups: '_daemonkit_lines compgen -g -- "$cur"',
  };
  for (const [key, names] of byKind) {
    const what = key.startsWith('words:')
      ? `_daemonkit_lines compgen -W "${key.slice(6)}" -- "$cur"`
      : action[key]!;
    cases.push(`    ${names.join('|')}) ${what}; return ;;`);
  }
  const free = Object.keys(FLAGS)
    .filter((n) => FLAGS[n]!.takesValue && !(n in VALUES))
    .map((n) => `--${n}`);
  cases.push(`    ${free.join('|')}) return ;; # a value of the user's own`);
  return cases.join('\n');
}

function bashFunctions(): string {
  const options = COMMANDS.map(
    (c) =>
      `    ${c}) opts="${words([...flagsOf(c).map((n) => `--${n}`), '--help', ...(TAKES_COMMAND.includes(c) ? ['--'] : [])])}" ;;`,
  );
  return `${bashHome}
_daemonkit() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev= w i cmd= at=0 opts=
  (( COMP_CWORD > 0 )) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  # --opt=VALUE: bash splits the word at '='
  if [[ $cur == = ]]; then cur=
  elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then prev=\${COMP_WORDS[COMP_CWORD-2]}; fi
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w=\${COMP_WORDS[i]}
    if [[ -z $cmd ]]; then
      [[ $w == -* ]] || { cmd=$w; at=$i; }
    elif [[ $w == -- ]]; then
      # the COMMAND: a program, then its arguments (files)
      if (( i + 1 == COMP_CWORD )); then _daemonkit_lines compgen -c -- "$cur"; else compopt -o filenames 2>/dev/null; _daemonkit_lines compgen -f -- "$cur"; fi
      return
    fi
  done
  if [[ -z $cmd ]]; then _daemonkit_lines compgen -W "${commandWords} --help --version" -- "$cur"; return; fi
  [[ $cmd == ls ]] && cmd=list
  if (( COMP_CWORD == at + 1 )); then
    case $cmd in
      help) _daemonkit_lines compgen -W "${commandWords}" -- "$cur"; return ;;
      export) _daemonkit_lines compgen -W "systemd" -- "$cur"; return ;;
      completion) _daemonkit_lines compgen -W "bash zsh fish" -- "$cur"; return ;;
    esac
  fi
  [[ $cmd == help || $cmd == completion ]] && return
  case $prev in
    -n) [[ $cmd == logs ]] && return; prev=--name ;;
    -p) prev=--pidfile ;;
  esac
  case $prev in
${bashValueCases()}
  esac
  case $cmd in
${options.join('\n')}
  esac
  _daemonkit_lines compgen -W "$opts" -- "$cur"
}`;
}

function zshScript(): string {
  // zsh's bashcompinit runs the bash function (in sh emulation: arrays from 0, as in bash).
  return `# daemonkit completion for zsh. Install: add to ~/.zshrc
#   source <(daemonkit completion zsh)
(( $+functions[compdef] )) || { autoload -U compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashFunctions()}
complete -F _daemonkit daemonkit
`;
}

/** A command's help up to its first full stop, colon or semicolon: fish shows it beside the
 *  name. */
const firstClause = (text: string): string => text.split(/[.:;] |[.:;]$|, on /)[0]!;

/** A fish single-quoted string. */
const fishQuote = (text: string): string =>
  `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function fishOption(command: CommandName, name: string): string {
  const f = FLAGS[name]!;
  const shorts = command === 'logs' ? LOGS_SHORT : SHORT;
  const short = Object.keys(shorts).find((k) => shorts[k] === name);
  const kind = VALUES[name];
  const value = !f.takesValue
    ? ''
    : kind === 'files'
      ? ' -r -F'
      : kind === 'names'
        ? " -x -a '(__daemonkit_names)'"
        : kind === 'dirs'
          ? " -x -a '(__fish_complete_directories (commandline -ct))'"
          : kind === 'users'
            ? " -x -a '(__fish_complete_users)'"
            : kind === 'groups'
              ? " -x -a '(__fish_complete_groups)'"
              : Array.isArray(kind)
                ? ` -x -a ${fishQuote(words(kind))}`
                : ' -x';
  const when = `__fish_seen_subcommand_from ${command === 'list' ? 'list ls' : command}; and not __daemonkit_after_dashdash`;
  return `complete -c daemonkit -n ${fishQuote(when)} -l ${name}${short ? ` -s ${short}` : ''}${value} -d ${fishQuote(f.help)}`;
}

function fishScript(): string {
  const lines = [
    `# daemonkit completion for fish. Install:`,
    `#   daemonkit completion fish > ~/.config/fish/completions/daemonkit.fish`,
    `function __daemonkit_home`,
    `    if test -n "$DAEMONKIT_HOME"; echo $DAEMONKIT_HOME`,
    `    else if test (id -u) -eq 0; echo /run/daemonkit`,
    `    else if string match -q -- '/*' "$XDG_RUNTIME_DIR"; echo $XDG_RUNTIME_DIR/daemonkit`,
    `    else; echo $HOME/.local/state/daemonkit; end`,
    `end`,
    `function __daemonkit_names`,
    `    for d in (__daemonkit_home)/*/`,
    // the whole last component, as the name rule says (\z: PCRE's $ would allow a final newline)
    `        string match -r -g -- ${fishQuote(`/(${NAME_PATTERN.slice(1, -1)})/\\z`)} $d`,
    `    end`,
    `end`,
    `function __daemonkit_after_dashdash`,
    `    contains -- -- (commandline -opc)`,
    `end`,
    `complete -c daemonkit -f`,
    `complete -c daemonkit -n __fish_use_subcommand -l help -d 'the usage'`,
    `complete -c daemonkit -n __fish_use_subcommand -l version -d 'the version'`,
    ...[...COMMANDS, 'help'].map(
      (c) =>
        `complete -c daemonkit -n __fish_use_subcommand -a ${c} -d ${fishQuote(c === 'help' ? "a command's options" : firstClause(ABOUT[c as CommandName][1]))}`,
    ),
    `complete -c daemonkit -n '__fish_seen_subcommand_from help' -a ${fishQuote(commandWords)}`,
    `complete -c daemonkit -n '__fish_seen_subcommand_from export; and not __fish_seen_subcommand_from systemd' -a systemd`,
    `complete -c daemonkit -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'`,
    `complete -c daemonkit -n __daemonkit_after_dashdash -F`,
    ...COMMANDS.flatMap((c) => flagsOf(c).map((name) => fishOption(c, name))),
  ];
  return `${lines.join('\n')}\n`;
}
