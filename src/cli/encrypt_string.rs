//! `vaultrot encrypt_string` (also `encrypt-string`): YAML `!vault |` blocks
//! from the prompt, stdin and arguments, laid out exactly as ansible-vault.

use std::io::{self, IsTerminal, Read};

use clap::Args;
use zeroize::Zeroizing;

use super::common::{CliError, CliResult, VaultArgs, encrypt_context};
use super::output::{stdout_is_tty, write_stdout};
use crate::ansible::config::VaultSettings;
use crate::fsutil::FileMode;
use crate::passwords::sources::read_hidden;
use crate::vaultfile::{Input, OUTPUT_MODE, replace};

#[derive(Args, Debug)]
pub struct EncryptStringArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Output file name for the encrypted data (`-` for stdout).
    #[arg(long = "output", value_name = "OUTPUT_FILE")]
    pub output: Option<String>,
    /// The vault id used to encrypt (required if more than one vault-id is provided).
    #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
    pub encrypt_vault_id: Option<String>,
    /// Prompt for the string to encrypt.
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,
    /// Do not hide input when prompted for the string to encrypt.
    #[arg(long = "show-input")]
    pub show_input: bool,
    /// Specify the variable name (repeatable, paired with the strings in order).
    #[arg(short = 'n', long = "name")]
    pub names: Vec<String>,
    /// Specify the variable name for stdin.
    #[arg(long = "stdin-name")]
    pub stdin_name: Option<String>,
    /// Strings to encrypt (`-` reads stdin).
    #[arg(value_name = "string_to_encrypt")]
    pub strings: Vec<String>,
}

struct Plaintext {
    bytes: Zeroizing<Vec<u8>>,
    source: &'static str,
    name: Option<String>,
}

/// The YAML block ansible prints for one encrypted string (`format_ciphertext_yaml`).
pub fn format_block(vault_text: &str, name: Option<&str>) -> String {
    let mut block = match name {
        Some(n) if !n.is_empty() => format!("{n}: !vault |"),
        _ => "!vault |".to_string(),
    };
    for line in vault_text.lines() {
        block.push('\n');
        block.push_str("          ");
        block.push_str(line);
    }
    block
}

pub fn run(args: &EncryptStringArgs, settings: &VaultSettings) -> CliResult {
    let read_stdin = args.strings.iter().any(|s| s == "-")
        || args.stdin_name.is_some()
        || (args.strings.is_empty() && !args.prompt);
    if args.prompt && read_stdin {
        return Err(CliError::options(
            "The --prompt option is not supported if also reading input from stdin",
        ));
    }
    let (ctx, secret) = encrypt_context(&args.vault, settings, args.encrypt_vault_id.as_deref())?;
    let inputs = collect_plaintexts(args, read_stdin)?;

    let many = inputs.len() > 1;
    let mut blocks = Vec::with_capacity(inputs.len() + 1);
    for (index, input) in inputs.iter().enumerate() {
        let vault_text = ctx.seal(&Input::Stdin, &input.bytes, &secret)?;
        if many {
            match &input.name {
                Some(name) => eprintln!(
                    "# The encrypted version of variable (\"{name}\", the string #{} from {}).",
                    index + 1,
                    input.source
                ),
                None => eprintln!(
                    "# The encrypted version of the string #{} from {}.)",
                    index + 1,
                    input.source
                ),
            }
        }
        blocks.push(format_block(&vault_text, input.name.as_deref()));
    }
    blocks.push(String::new());
    let text = blocks.join("\n");
    match args.output.as_deref() {
        None | Some("-") => write_stdout(text.as_bytes())?,
        Some(path) => replace(
            std::path::Path::new(path),
            text.as_bytes(),
            FileMode::Exactly(OUTPUT_MODE),
        )?,
    }
    if stdout_is_tty() {
        eprintln!("Encryption successful");
    }
    Ok(())
}

fn collect_plaintexts(args: &EncryptStringArgs, read_stdin: bool) -> CliResult<Vec<Plaintext>> {
    let mut inputs = Vec::new();
    if args.prompt {
        let name = read_hidden_or_shown("Variable name (enter for no name): ", false)?;
        let prompt = if args.show_input {
            "String to encrypt:"
        } else {
            "String to encrypt (hidden): "
        };
        let value = read_hidden_or_shown(prompt, !args.show_input)?;
        if value.is_empty() {
            return Err(CliError::options(
                "The plaintext provided from the prompt was empty, not encrypting",
            ));
        }
        inputs.push(Plaintext {
            bytes: Zeroizing::new(value.as_bytes().to_vec()),
            source: "the interactive prompt",
            name: (!name.is_empty()).then(|| name.to_string()),
        });
    }
    if read_stdin {
        if stdout_is_tty() {
            eprintln!(
                "Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)"
            );
        }
        let mut data = Zeroizing::new(Vec::new());
        io::stdin()
            .lock()
            .read_to_end(&mut data)
            .map_err(|e| CliError::error(format!("cannot read stdin: {e}")))?;
        if data.is_empty() {
            return Err(CliError::options("stdin was empty, not encrypting"));
        }
        inputs.push(Plaintext {
            bytes: data,
            source: "stdin",
            name: args.stdin_name.clone(),
        });
    }
    let strings: Vec<&String> = args.strings.iter().filter(|s| *s != "-").collect();
    if !args.names.is_empty() && strings.len() > args.names.len() {
        eprintln!("The number of --name options do not match the number of args.");
        eprintln!(
            "The last named variable will be \"{}\". The rest will not have names.",
            args.names[args.names.len() - 1]
        );
    }
    for (index, value) in strings.into_iter().enumerate() {
        if value.is_empty() {
            return Err(CliError::options(
                "The plaintext provided from the command line args was empty, not encrypting",
            ));
        }
        inputs.push(Plaintext {
            bytes: Zeroizing::new(value.as_bytes().to_vec()),
            source: "the command line args",
            name: args.names.get(index).cloned(),
        });
    }
    Ok(inputs)
}

fn read_hidden_or_shown(prompt: &str, hidden: bool) -> CliResult<Zeroizing<String>> {
    if hidden || !io::stdin().is_terminal() {
        return read_hidden(prompt)
            .map_err(|e| CliError::error(format!("cannot read from the prompt: {e}")));
    }
    eprint!("{prompt}");
    let mut line = Zeroizing::new(String::new());
    io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::error(format!("cannot read from the prompt: {e}")))?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\n', '\r']).to_string(),
    ))
}
