//! One type per meaning: the 32-byte and 64-byte values of the protocol, each with
//! lowercase hex `Display`, case-insensitive `FromStr` and serde as a hex string
//! (PROTOCOL §2). An address is not a string and a txid is not a block hash.

use crate::hex::{self, HexError};
use core::fmt;
use core::str::FromStr;

macro_rules! hex_newtype {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; $len]);

        impl $name {
            /// The length in bytes.
            pub const LEN: usize = $len;

            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// The raw bytes, by value.
            pub const fn to_bytes(self) -> [u8; $len] {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                hex::write_hex(f, &self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                hex::write_hex(f, &self.0)?;
                f.write_str(")")
            }
        }

        impl FromStr for $name {
            type Err = HexError;
            fn from_str(text: &str) -> Result<Self, HexError> {
                let mut bytes = [0u8; $len];
                hex::decode_into(text, &mut bytes)?;
                Ok(Self(bytes))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "{} hex characters", 2 * $len)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

hex_newtype!(
    /// An account: the 32-byte Ed25519 public key of its owner.
    Address,
    32
);
hex_newtype!(
    /// A 64-byte Ed25519 signature.
    Signature,
    64
);
hex_newtype!(
    /// A transaction's id: SHA-256 of its signing message (PROTOCOL §3).
    TxId,
    32
);
hex_newtype!(
    /// A block's hash: SHA-256 of its header message (PROTOCOL §4).
    BlockHash,
    32
);
hex_newtype!(
    /// A chain's id: the hash of its genesis block. Signatures commit to it.
    ChainId,
    32
);
hex_newtype!(
    /// A node of a Merkle tree of txids: a leaf (a txid's bytes) or SHA-256(left ‖ right).
    /// The path of a Merkle proof is made of these (PROTOCOL §9 `GET_PROOF`).
    MerkleNode,
    32
);
hex_newtype!(
    /// The Merkle root of a block's txids (PROTOCOL §4).
    MerkleRoot,
    32
);

impl BlockHash {
    /// The `prev_hash` of the genesis block: 64 zeros.
    pub const ZERO: BlockHash = BlockHash([0; 32]);
}

impl MerkleRoot {
    /// The root of a block without transactions: 64 zeros.
    pub const EMPTY: MerkleRoot = MerkleRoot([0; 32]);
}

impl From<BlockHash> for ChainId {
    /// The chain id is the genesis block's hash.
    fn from(genesis: BlockHash) -> Self {
        ChainId(genesis.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_is_lowercase_and_parse_accepts_upper() {
        let a = Address::from_bytes([0xAB; 32]);
        let text = a.to_string();
        assert_eq!(text, "ab".repeat(32));
        assert_eq!(text.to_uppercase().parse::<Address>().unwrap(), a);
    }

    #[test]
    fn wrong_length_is_refused() {
        assert!("ab".parse::<TxId>().is_err());
        assert!("ab".repeat(33).parse::<BlockHash>().is_err());
        assert!("ab".repeat(32).parse::<Signature>().is_err());
        assert!("ab".repeat(64).parse::<Signature>().is_ok());
    }

    #[test]
    fn serde_as_hex_string() {
        let h = BlockHash::from_bytes([1; 32]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, alloc::format!("\"{}\"", "01".repeat(32)));
        assert_eq!(serde_json::from_str::<BlockHash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<BlockHash>("\"zz\"").is_err());
    }
}
