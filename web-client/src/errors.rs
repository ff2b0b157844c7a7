//! Every `ERROR` code of PROTOCOL §7 as a sentence a person understands.

use simplechain_core::protocol::ErrorCode;

/// What the wallet tells its user when the server answers `ERROR:<code>:…`.
pub fn explain(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadRequest => "The server could not understand the request.",
        ErrorCode::UnknownCommand => {
            "The server does not know this request; it may run an older version."
        }
        ErrorCode::TooLong => "The request was too large for the server.",
        ErrorCode::BadSignature => {
            "The server refused the signature: the transfer was not signed for this chain."
        }
        ErrorCode::BadNonce => {
            "The transfer is out of order with this wallet's earlier ones. Wait for the balance to refresh and send it again."
        }
        ErrorCode::InsufficientFunds => {
            "Not enough coins: the amount is more than the balance left after pending transfers."
        }
        ErrorCode::InvalidAmount => "The amount must be a whole number of coins above zero.",
        ErrorCode::Duplicate => "This transfer was already sent.",
        ErrorCode::PrivateKeyRefused => {
            "The server refuses any request that carries a secret key (this wallet never sends one)."
        }
        ErrorCode::MempoolFull => {
            "The server has too many transfers waiting right now. Try again in a minute."
        }
        ErrorCode::RateLimited => {
            "Too many requests from this wallet. Wait a minute and try again."
        }
        ErrorCode::Busy => "The server is busy with another job. Try again in a moment.",
        ErrorCode::NotFound => "The server does not know it.",
        ErrorCode::InvalidChain => "The server refused a chain that breaks the rules.",
        ErrorCode::GenesisMismatch => "That chain starts from a different genesis block.",
        ErrorCode::NotBetter => "That chain has no more work than the server's own.",
        ErrorCode::ReorgTooDeep => "That chain forks too far below the server's tip.",
        ErrorCode::FaucetDisabled => "This server gives no test coins (its faucet is off).",
        ErrorCode::Internal => "The server ran into a problem of its own. Try again later.",
    }
}

#[cfg(test)]
mod tests {
    use super::explain;
    use simplechain_core::protocol::ErrorCode;

    #[test]
    fn every_code_has_its_own_sentence() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let sentence = explain(code);
            assert!(sentence.ends_with('.'), "{code}: {sentence}");
            assert!(!sentence.contains('_'), "{code} leaks its code: {sentence}");
            assert!(seen.insert(sentence), "{code} shares its sentence");
        }
    }
}
