//! Published test vectors (docs/PROTOCOL.md, "Test vectors"): client authors in any
//! language can check their signing message, txid, signature, block hash and Merkle
//! roots against these. If this test changes, the docs must change with it.

use ed25519_dalek::SigningKey;
use simplechain_core::block::{Block, BlockHeader};
use simplechain_core::merkle::{MerkleProof, merkle_root};
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, BlockHash, ChainId, MerkleRoot, Transaction, TxId, sha256};

fn key(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

fn seed_1_to_32() -> [u8; 32] {
    core::array::from_fn(|i| i as u8 + 1)
}

fn chain() -> ChainId {
    ChainId::from_bytes(sha256(b"simplechain test chain"))
}

#[test]
fn transaction_vector() {
    let sender = key(seed_1_to_32());
    let receiver = address_of(&key([0x42; 32]));
    assert_eq!(
        address_of(&sender).to_string(),
        "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"
    );
    assert_eq!(
        receiver.to_string(),
        "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12"
    );
    assert_eq!(
        chain().to_string(),
        "d5852960cbf33fb5eee31aa85c282ac5902b8ee7985bb3805e3d23b15bddb393"
    );
    let tx = Transaction::sign(&sender, &chain(), receiver, 5, 0);
    assert_eq!(
        tx.message(&chain()).as_str(),
        format!(
            "simplechain/tx/v1:{}:{}:{}:5:0",
            chain(),
            tx.sender,
            receiver
        )
    );
    assert_eq!(
        tx.txid(&chain()).to_string(),
        "019b1205d7b340e0191cf1ed754f00a0358d74027ab4edbfd2a506c84da962da"
    );
    assert_eq!(
        tx.signature.to_string(),
        concat!(
            "1b84cc98f59ad647f2b0bc626034d659bbab0e86a8a17069796d8a00567ac189",
            "3e710eb931a24af56483ded39afeffa5df96c467971e83599db019aff701c70d"
        )
    );
    assert!(tx.verify(&chain()).is_ok());
}

fn leaves(n: usize) -> Vec<TxId> {
    (0..n)
        .map(|i| TxId::from_bytes(sha256(format!("tx{i}").as_bytes())))
        .collect()
}

#[test]
fn merkle_vectors() {
    let roots: Vec<String> = [1, 2, 3, 5]
        .iter()
        .map(|&n| merkle_root(&leaves(n)).to_string())
        .collect();
    assert_eq!(
        roots,
        [
            "95cd603fe577fa9548ec0c9b50b067566fe07c8af6acba45f6196f3a15d511f6",
            "9db4d4c69f3d7236f4de569987d746845d8d85250703351226c5a3cdaf1f66ea",
            "726da7d399987671da491c4886e07dacd532fb6e7e48862732701d2443e3b532",
            "16eef23ee6e2c2a9a42a944da0f25b543af1d834b60e594d60c417ed4e38cb1a",
        ]
    );
    assert_eq!(merkle_root(&[]), MerkleRoot::EMPTY);
}

#[test]
fn merkle_proof_vectors() {
    // The 5-leaf tree above: each index's path, leaf level first (docs/PROTOCOL.md).
    let txids = leaves(5);
    let root = merkle_root(&txids);
    let expected: [[&str; 3]; 5] = [
        [
            "709b55bd3da0f5a838125bd0ee20c5bfdd7caba173912d4281cae816b79a201b",
            "163209155d28a606a287c4307bde0ef29790b1e3ca64c350db1f1371f675b8e6",
            "903d4e6791edf93be7d5bd97b2c32b58b9031ea556db06e3ed470a515b3e3100",
        ],
        [
            "95cd603fe577fa9548ec0c9b50b067566fe07c8af6acba45f6196f3a15d511f6",
            "163209155d28a606a287c4307bde0ef29790b1e3ca64c350db1f1371f675b8e6",
            "903d4e6791edf93be7d5bd97b2c32b58b9031ea556db06e3ed470a515b3e3100",
        ],
        [
            "1f3cb18e896256d7d6bb8c11a6ec71f005c75de05e39beae5d93bbd1e2c8b7a9",
            "9db4d4c69f3d7236f4de569987d746845d8d85250703351226c5a3cdaf1f66ea",
            "903d4e6791edf93be7d5bd97b2c32b58b9031ea556db06e3ed470a515b3e3100",
        ],
        [
            "27ca64c092a959c7edc525ed45e845b1de6a7590d173fd2fad9133c8a779a1e3",
            "9db4d4c69f3d7236f4de569987d746845d8d85250703351226c5a3cdaf1f66ea",
            "903d4e6791edf93be7d5bd97b2c32b58b9031ea556db06e3ed470a515b3e3100",
        ],
        [
            "41b637cfd9eb3e2f60f734f9ca44e5c1559c6f481d49d6ed6891f3e9a086ac78",
            "58d38b66050691641038c0c04b79e0c67bb34a96a8b37a7c5b502e828ef8592e",
            "9db19fd4038d720fb19dec0f50cd6afbafe918851ddbb718773abff9783faeb0",
        ],
    ];
    for (i, path) in expected.iter().enumerate() {
        let proof = MerkleProof::build(&txids, i).unwrap();
        let got: Vec<String> = proof.path.iter().map(|n| n.to_string()).collect();
        assert_eq!(got, path, "index {i}");
        assert!(proof.verify(&txids[i], &root));
    }
}

#[test]
fn block_vector() {
    let header = BlockHeader {
        height: 1,
        prev_hash: BlockHash::from_bytes(sha256(b"previous")),
        timestamp: 1_763_900_000_000,
        difficulty: 8,
        miner: Address::from_bytes([0x11; 32]),
        reward: 50,
        tx_root: merkle_root(&leaves(3)),
        nonce: 0,
    };
    let (mined, hash) = header
        .mine(0, 1 << 20)
        .expect("difficulty 8 is found quickly");
    assert_eq!(
        mined.message(),
        concat!(
            "simplechain/block/v1:1:6da0633528deaa0144e7b058315f0b753ec0b945163a72bf96a0d18180f9de0d:",
            "1763900000000:8:1111111111111111111111111111111111111111111111111111111111111111:50:",
            "726da7d399987671da491c4886e07dacd532fb6e7e48862732701d2443e3b532:708"
        )
    );
    assert_eq!(mined.nonce, 708);
    assert_eq!(
        hash.to_string(),
        "00fb0499868da43710ae86ad683c80d0935c75cecdbd83e53c83b18db91f2cf1"
    );
    let block = Block::from_mined(mined, hash, Vec::new());
    assert_eq!(block.compute_hash(), hash);
}
