//! Commands about the block tree of PROTOCOL §9: `tree` draws it, `block` shows any
//! block of it (main or side), `proof` fetches a Merkle inclusion proof and checks it
//! here, step by step, against the block's header.

use super::chain::{print_block_header_row, print_block_line};
use super::{Ctx, parse_hash, print_json, short};
use crate::client::Client;
use simplechain_core::protocol::{Tree, TreeEntry};
use simplechain_core::{BlockHash, TxId};
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct TreeArgs {
    /// Lowest height to show [default: the server's, tip height − 100].
    #[arg(long)]
    from: Option<u64>,
}

pub async fn tree(ctx: &Ctx, args: TreeArgs) -> anyhow::Result<ExitCode> {
    let tree = Client::connect(&ctx.server).await?.tree(args.from).await?;
    if ctx.json {
        print_json(&tree)?;
    } else if tree.blocks.is_empty() {
        println!("No blocks in the tree from that height on.");
    } else {
        for line in draw(&tree) {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The tree as text, one block a line, lowest height first: the main chain is the
/// first column, each side branch a column of its own beside it, starting at the height
/// where it forks.
///
/// ```text
///  height  chain  hash          miner      txs
///       5  ●    00003b9c2f1a  3f1c2ae8     0  main
///       6  │ ●  0000771b9e02  9a8b7c6d     0  side, forks from 00003b9c2f1a
///       6  ● │  0000c4fe11aa  3f1c2ae8     1  main
///       7  │ ●  00002c0ffee0  9a8b7c6d     0  side
///       7  ● │  0000e1e10a0b  3f1c2ae8     0  main, tip
/// ```
pub fn draw(tree: &Tree) -> Vec<String> {
    let placed = lanes(&tree.blocks);
    let count = placed.iter().map(|p| p.lane).max().map_or(1, |m| m + 1);
    // Each side branch is drawn from its first block's height to its last block's; a
    // lane is used again by a later branch once the earlier one has ended.
    let mut spans: Vec<(usize, u64, u64)> = Vec::new();
    for (entry, p) in tree.blocks.iter().zip(&placed) {
        if p.forks_from.is_some() || !spans.iter().any(|s| s.0 == p.lane) {
            spans.push((p.lane, entry.height, entry.height));
        } else if let Some(s) = spans.iter_mut().rev().find(|s| s.0 == p.lane) {
            s.2 = s.2.max(entry.height);
        }
    }
    let width = (count * 2 - 1).max("chain".len());
    let mut rows: Vec<(&TreeEntry, &Placed)> = tree.blocks.iter().zip(&placed).collect();
    rows.sort_by_key(|(e, p)| (e.height, std::cmp::Reverse(p.lane)));
    let mut out = vec![format!(
        "{:>7}  {:<width$}  {:<12}  {:<8}  {:>4}",
        "height", "chain", "hash", "miner", "txs"
    )];
    for (entry, p) in rows {
        let graph: Vec<&str> = (0..count)
            .map(|lane| match lane {
                l if l == p.lane => "●",
                0 => "│",
                l if spans
                    .iter()
                    .any(|s| s.0 == l && s.1 <= entry.height && entry.height <= s.2) =>
                {
                    "│"
                }
                _ => " ",
            })
            .collect();
        let mut what = String::from(if entry.main { "main" } else { "side" });
        if entry.hash == tree.tip {
            what.push_str(", tip");
        }
        if let Some(parent) = p.forks_from {
            what.push_str(&format!(", forks from {}", short(&parent)));
        }
        out.push(format!(
            "{:>7}  {:<width$}  {:<12}  {:<8}  {:>4}  {what}",
            entry.height,
            graph.join(" "),
            short(&entry.hash),
            short(&entry.miner).get(..8).unwrap_or_default(),
            entry.transactions,
        ));
    }
    out
}

/// Where one block of the tree is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placed {
    /// 0: the main chain; 1, 2, …: side branches, in the order they appear.
    lane: usize,
    /// For the first block of a side branch: the block it forks from.
    forks_from: Option<BlockHash>,
}

/// Puts each block in a lane: main blocks in lane 0; a side block in its parent's lane
/// if its parent is the last block of a side lane, else in the first side lane whose
/// branch ended below its height (or a new one). Blocks are placed lowest height first.
fn lanes(blocks: &[TreeEntry]) -> Vec<Placed> {
    let mut lane_of: HashMap<BlockHash, usize> = HashMap::new();
    // The last block of each lane, and its height.
    let mut heads: Vec<Option<(BlockHash, u64)>> = vec![None];
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&i| blocks[i].height);
    let mut placed = vec![
        Placed {
            lane: 0,
            forks_from: None
        };
        blocks.len()
    ];
    for i in order {
        let b = &blocks[i];
        let parent_lane = lane_of.get(&b.prev_hash).copied();
        let lane = if b.main {
            0
        } else {
            match parent_lane {
                Some(l) if l > 0 && heads[l].map(|h| h.0) == Some(b.prev_hash) => l,
                _ => {
                    placed[i].forks_from = Some(b.prev_hash);
                    let free = (1..heads.len())
                        .find(|&l| heads[l].is_none_or(|(_, height)| height + 1 < b.height));
                    free.unwrap_or_else(|| {
                        heads.push(None);
                        heads.len() - 1
                    })
                }
            }
        };
        heads[lane] = Some((b.hash, b.height));
        lane_of.insert(b.hash, lane);
        placed[i].lane = lane;
    }
    placed
}

pub async fn block(ctx: &Ctx, hash: &str) -> anyhow::Result<ExitCode> {
    let hash: BlockHash = parse_hash("a block hash", hash)?;
    let mut client = Client::connect(&ctx.server).await?;
    let Some(info) = client.block(hash).await? else {
        anyhow::bail!("the server's block tree has no block {hash}");
    };
    if ctx.json {
        print_json(&info)?;
        return Ok(ExitCode::SUCCESS);
    }
    let b = &info.block;
    let h = &b.header;
    println!(
        "Block {} on the {}",
        h.height,
        if info.main {
            "main chain"
        } else {
            "side branch"
        }
    );
    print_block_header_row();
    print_block_line(b);
    println!("Previous:   {}", h.prev_hash);
    println!("Miner:      {} (reward {})", h.miner, h.reward);
    println!("Difficulty: {} bits, nonce {}", h.difficulty, h.nonce);
    println!("tx_root:    {}", h.tx_root);
    let chain_id = client.info().await?.chain_id;
    for (i, tx) in b.transactions.iter().enumerate() {
        println!(
            "  {i:>4}  {}  {} → {}  {:>12}  nonce {}",
            tx.txid(&chain_id),
            short(&tx.sender),
            short(&tx.receiver),
            tx.amount,
            tx.nonce
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn proof(ctx: &Ctx, txid: &str) -> anyhow::Result<ExitCode> {
    let txid: TxId = parse_hash("a txid", txid)?;
    let mut client = Client::connect(&ctx.server).await?;
    let Some(proof) = client.proof(txid).await? else {
        anyhow::bail!(
            "the server has no proof for {txid}: it is unknown, or still pending (not in a \
             main-chain block)"
        );
    };
    if proof.txid != txid {
        anyhow::bail!("the server sent a proof for another txid ({})", proof.txid);
    }
    let steps = proof.merkle().fold(&txid);
    let root_ok = proof.verify();
    let block = client.block(proof.block_hash).await?;
    // The header is genuine if it hashes to the block hash the proof names.
    let header_root = block
        .as_ref()
        .filter(|b| b.block.compute_hash() == proof.block_hash)
        .map(|b| b.block.header.tx_root);
    let header_ok = header_root == Some(proof.tx_root);
    let valid = root_ok && header_ok;
    if ctx.json {
        let steps: Vec<_> = steps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "node": s.node, "sibling": s.sibling,
                    "node_is": if s.node_is_left { "left" } else { "right" }, "parent": s.parent,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "proof": proof, "steps": steps, "root_matches": root_ok,
            "header_tx_root": header_root, "header_matches": header_ok, "valid": valid,
        }))?;
    } else {
        println!("Transaction {txid}");
        println!(
            "In block {} ({}) at index {}",
            proof.height, proof.block_hash, proof.index
        );
        println!("Leaf:       {txid}");
        for (level, s) in steps.iter().enumerate() {
            let (left, right) = if s.node_is_left {
                (s.node, s.sibling)
            } else {
                (s.sibling, s.node)
            };
            println!(
                "Level {level}: node is the {} child; SHA-256({} ‖ {})",
                if s.node_is_left { "left" } else { "right" },
                short(&left),
                short(&right)
            );
            println!("  sibling   {}", s.sibling);
            println!("  parent    {}", s.parent);
        }
        let top = steps
            .last()
            .map_or(txid.to_string(), |s| s.parent.to_string());
        println!("Root:       {top}");
        println!(
            "tx_root:    {} ({})",
            proof.tx_root,
            if root_ok {
                "equal: the fold checks"
            } else {
                "DIFFERENT: the proof fails"
            }
        );
        match (&block, header_root) {
            (None, _) => println!(
                "Header:     the server does not have block {}",
                proof.block_hash
            ),
            (Some(_), None) => println!(
                "Header:     block {} does not hash to its hash",
                proof.block_hash
            ),
            (Some(_), Some(root)) if header_ok => {
                println!(
                    "Header:     the block's header has this tx_root ({})",
                    short(&root)
                )
            }
            (Some(_), Some(root)) => {
                println!("Header:     the block's header has tx_root {root}, not the proof's")
            }
        }
        println!("{}", if valid { "VERIFIED" } else { "NOT VERIFIED" });
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::Address;

    fn entry(n: u8, parent: u8, height: u64, main: bool) -> TreeEntry {
        TreeEntry {
            hash: BlockHash::from_bytes([n; 32]),
            prev_hash: BlockHash::from_bytes([parent; 32]),
            height,
            timestamp: 0,
            miner: Address::from_bytes([0xab; 32]),
            transactions: u64::from(n % 3),
            main,
        }
    }

    #[test]
    fn the_main_chain_is_a_column_and_each_fork_a_column_beside_it() {
        // 1 ← 2 ← 3 ← 5 (main); 2 ← 4 ← 6 (one side branch); 3 ← 7 (another).
        let tree = Tree {
            tip: BlockHash::from_bytes([10; 32]),
            blocks: vec![
                entry(1, 0, 1, true),
                entry(2, 1, 2, true),
                entry(3, 2, 3, true),
                entry(4, 2, 3, false),
                entry(5, 3, 4, true),
                entry(6, 4, 4, false),
                entry(7, 3, 4, false),
                entry(8, 5, 5, true),
                entry(9, 8, 6, true),
                entry(10, 9, 7, true),
                entry(11, 9, 7, false),
            ],
        };
        let lines = draw(&tree);
        let text = lines.join("\n");
        assert_eq!(lines.len(), 12, "{text}");
        assert!(
            lines[0].contains("height") && lines[0].contains("miner"),
            "{text}"
        );
        assert!(lines[1].starts_with("      1  ●     "), "{text}");
        assert!(
            lines[3].contains("│ ●  ") && lines[3].contains("side, forks from 020202020202"),
            "{text}"
        );
        assert!(
            lines[4].contains("● │  ") && lines[4].ends_with("main"),
            "{text}"
        );
        assert!(
            lines[5].contains("│ │ ●") && lines[5].contains("forks from 030303030303"),
            "{text}"
        );
        assert!(
            lines[6].contains("│ ● │") && lines[6].ends_with("side"),
            "{text}"
        );
        assert!(
            lines[7].contains("● │ │") && lines[7].ends_with("main"),
            "{text}"
        );
        assert!(lines[7].contains("abababab"), "{text}");
        // A later fork reuses the first side lane, and the lanes in between are blank.
        assert!(
            lines[8].contains("●    ") && lines[9].contains("●    "),
            "{text}"
        );
        assert!(
            lines[10].contains("│ ●  ") && lines[10].contains("forks from 090909090909"),
            "{text}"
        );
        assert!(
            lines[11].contains("● │  ") && lines[11].ends_with("main, tip"),
            "{text}"
        );
    }
}
