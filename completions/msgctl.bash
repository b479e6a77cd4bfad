#!/bin/bash

__msgctl_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__msgctl_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__msgctl_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__msgctl_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_msgctl() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|search|reply|edit|react|read|archive|unarchive|delete|db|user|token|vapid|push|slack|stats|repl|export|attachments|doctor|tail|purge|help)
        # Offer subcommand argument completions
        "_msgctl_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show search reply edit react read archive unarchive delete db user token vapid push slack stats repl export attachments doctor tail purge help' -- "${cur}"))
        ;;
    esac
}

_msgctl_list() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --no-formula-escape --unread --archived --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --user --limit --page)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--user')
        return
        ;;
    '--limit')
        return
        ;;
    '--page')
        return
        ;;
    esac
}

_msgctl_show() {
    repeating_flags=()
    non_repeating_flags=(--json --history --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --limit)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--limit')
        return
        ;;
    esac
}

_msgctl_search() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --no-formula-escape --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --conversation --before --after --limit)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--conversation')
        return
        ;;
    '--before')
        return
        ;;
    '--after')
        return
        ;;
    '--limit')
        return
        ;;
    esac
}

_msgctl_reply() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=(--attachment)
    non_repeating_options=(--database-url --as --idempotency-key)
    __msgctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--attachment')
        return
        ;;
    '--idempotency-key')
        return
        ;;
    esac
}

_msgctl_edit() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as)
    __msgctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_msgctl_react() {
    repeating_flags=()
    non_repeating_flags=(--json --remove --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as)
    __msgctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_msgctl_read() {
    repeating_flags=()
    non_repeating_flags=(--all --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_msgctl_archive() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_msgctl_unarchive() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_msgctl_delete() {
    repeating_flags=()
    non_repeating_flags=(--yes --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --message)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--message')
        return
        ;;
    esac
}

_msgctl_db() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    migrate|status)
        # Offer subcommand argument completions
        "_msgctl_db_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'migrate status' -- "${cur}"))
        ;;
    esac
}

_msgctl_db_migrate() {
    repeating_flags=()
    non_repeating_flags=(--json --no-progress --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_db_status() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --no-formula-escape --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_user() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    add|list)
        # Offer subcommand argument completions
        "_msgctl_user_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'add list' -- "${cur}"))
        ;;
    esac
}

_msgctl_user_add() {
    repeating_flags=()
    non_repeating_flags=(--admin --if-not-exists --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --username --display-name --slug)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--username')
        return
        ;;
    '--display-name')
        return
        ;;
    '--slug')
        return
        ;;
    esac
}

_msgctl_user_list() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --no-formula-escape --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_token() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --user --ttl)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--user')
        return
        ;;
    '--ttl')
        return
        ;;
    esac
}

_msgctl_vapid() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    generate)
        # Offer subcommand argument completions
        "_msgctl_vapid_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'generate' -- "${cur}"))
        ;;
    esac
}

_msgctl_vapid_generate() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0
}

_msgctl_push() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    test)
        # Offer subcommand argument completions
        "_msgctl_push_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'test' -- "${cur}"))
        ;;
    esac
}

_msgctl_push_test() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --no-formula-escape --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --user)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--user')
        return
        ;;
    esac
}

_msgctl_slack() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    test|status|link|unlink|links)
        # Offer subcommand argument completions
        "_msgctl_slack_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'test status link unlink links' -- "${cur}"))
        ;;
    esac
}

_msgctl_slack_test() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_slack_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_slack_link() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --admin --slack-user)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--admin')
        return
        ;;
    '--slack-user')
        return
        ;;
    esac
}

_msgctl_slack_unlink() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --slack-user)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--slack-user')
        return
        ;;
    esac
}

_msgctl_slack_links() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --no-formula-escape --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_stats() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --since --until)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    esac
}

_msgctl_repl() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --relay --token)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--relay')
        return
        ;;
    '--token')
        return
        ;;
    esac
}

_msgctl_export() {
    repeating_flags=()
    non_repeating_flags=(--include-deleted --include-history --wait --no-formula-escape --no-progress --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --format --conversation --user --since --until --output --state)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--format')
        __msgctl_add_completions -W 'jsonl'$'\n''csv'$'\n''mbox'$'\n''markdown'
        return
        ;;
    '--conversation')
        return
        ;;
    '--user')
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    '--output')
        return
        ;;
    '--state')
        return
        ;;
    esac
}

_msgctl_attachments() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    get|gc|purge)
        # Offer subcommand argument completions
        "_msgctl_attachments_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'get gc purge' -- "${cur}"))
        ;;
    esac
}

_msgctl_attachments_get() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --output -o)
    __msgctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--output'|'-o')
        return
        ;;
    esac
}

_msgctl_attachments_gc() {
    repeating_flags=()
    non_repeating_flags=(--no-progress --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    esac
}

_msgctl_attachments_purge() {
    repeating_flags=()
    non_repeating_flags=(--no-progress --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --deleted-before)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--deleted-before')
        return
        ;;
    esac
}

_msgctl_doctor() {
    repeating_flags=()
    non_repeating_flags=(--json --send --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --relay)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--relay')
        return
        ;;
    esac
}

_msgctl_tail() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --as --relay --token --user)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--as')
        return
        ;;
    '--relay')
        return
        ;;
    '--token')
        return
        ;;
    '--user')
        return
        ;;
    esac
}

_msgctl_purge() {
    repeating_flags=()
    non_repeating_flags=(--yes --version -h --help)
    repeating_options=()
    non_repeating_options=(--database-url --deleted-before)
    __msgctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--database-url')
        return
        ;;
    '--deleted-before')
        return
        ;;
    esac
}

_msgctl_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __msgctl_offer_flags_options -1
}

complete -o filenames -F _msgctl msgctl
