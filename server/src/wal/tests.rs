//! The log read back after a crash: whole records survive, a torn or damaged tail is
//! found, dropped and zeroed, and older records after a restart are never read as new.

use super::record::{self, Admitted, BLOCK};
use super::*;
use simplechain_core::{Address, Block, ChainId, Transaction};
use std::io::{Read, Seek};

const SIZE: u64 = 64 * BLOCK as u64;

fn batch(first: u64, n: u64) -> Admitted {
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let chain = ChainId::from_bytes([1; 32]);
    let to = Address::from_bytes([2; 32]);
    (first..first + n)
        .map(|i| (i, Transaction::sign(&key, &chain, to, 1, i)))
        .collect()
}

/// Appends `batches` to a fresh log in `dir`; returns each record's offset.
fn write_log(dir: &Path, batches: &[Admitted]) -> Vec<u64> {
    let (mut log, replayed) = AckLog::open(dir, SIZE, Layout::Halves).unwrap();
    assert!(replayed.records.is_empty() && replayed.torn.is_none());
    let mut offsets = Vec::new();
    for txs in batches {
        let append = log.append(txs).unwrap();
        offsets.push(append.offset);
        append.write().unwrap();
    }
    offsets
}

#[test]
fn whole_records_are_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let batches = [batch(0, 1), batch(1, 40), batch(41, 3)];
    write_log(dir.path(), &batches);
    let (log, replayed) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let entries: Vec<Entry> = replayed.records.into_iter().map(|(_, e)| e).collect();
    let batches: Vec<Entry> = batches.into_iter().map(Entry::Admitted).collect();
    assert_eq!(entries, batches);
    assert!(replayed.torn.is_none());
    assert_eq!(log.last_seq(), 3);
    let file_len = std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len();
    assert_eq!(file_len, SIZE, "the log is preallocated");
}

#[test]
fn a_torn_last_record_is_dropped_and_zeroed_and_the_rest_survives() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = write_log(dir.path(), &[batch(0, 2), batch(2, 2), batch(4, 30)]);
    // A crash in the middle of the last write: only its first 100 bytes reached the disk.
    let path = dir.path().join(LOG_FILE);
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    let whole = record::encode(3, &batch(4, 30));
    let mut torn = whole[..100].to_vec();
    torn.resize(whole.len(), 0);
    file.write_all_at(&torn, offsets[2]).unwrap();
    drop(file);

    let (mut log, replayed) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2], "the records before the torn one survive");
    assert_eq!(
        replayed.torn,
        Some((offsets[2], "the checksum does not match"))
    );
    let mut header = [0u8; record::HEADER];
    let mut file = File::open(&path).unwrap();
    file.seek(std::io::SeekFrom::Start(offsets[2])).unwrap();
    file.read_exact(&mut header).unwrap();
    assert_eq!(header, [0; record::HEADER], "the torn record was zeroed");
    // The next record goes where the torn one was, with its number.
    let next = log.append(&batch(4, 1)).unwrap();
    assert_eq!((next.offset, log.last_seq()), (offsets[2], 3));
}

#[test]
fn a_damaged_record_in_the_middle_ends_the_log_there() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = write_log(dir.path(), &[batch(0, 1), batch(1, 1), batch(2, 1)]);
    let path = dir.path().join(LOG_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut byte = [0u8; 1];
    let at = offsets[1] + record::HEADER as u64 + 20;
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ 0x01], at).unwrap();
    drop(file);
    let (_, replayed) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    assert_eq!(
        replayed.records.len(),
        1,
        "only the record before the damage"
    );
    assert_eq!(replayed.torn.map(|(o, _)| o), Some(offsets[1]));
}

#[test]
fn after_a_restart_older_records_are_not_read_as_new() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    for first in 0..4 {
        log.append(&batch(first * 10, 10)).unwrap().write().unwrap();
    }
    // Checkpointed up to record 4: the log starts again at offset 0 with record 5.
    log.restart();
    log.append(&batch(100, 1)).unwrap().write().unwrap();
    drop(log);
    let (log, replayed) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [5]);
    assert!(replayed.torn.is_none());
    assert_eq!(log.last_seq(), 5);
}

#[test]
fn a_full_half_says_so_and_writing_goes_on_in_the_other_half() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = AckLog::open(dir.path(), 4 * BLOCK as u64, Layout::Halves).unwrap();
    log.append(&batch(0, 1)).unwrap().write().unwrap();
    log.append(&batch(1, 1)).unwrap().write().unwrap();
    assert!(
        log.append(&batch(2, 1)).is_err(),
        "half 0 holds two records"
    );
    log.switch_halves();
    let third = log.append(&batch(2, 1)).unwrap();
    assert_eq!(third.offset, 2 * BLOCK as u64, "the start of half 1");
    third.write().unwrap();
    drop(log);
    // Read back: both halves, in order; writing goes on after the newest record.
    let (mut log, replayed) = AckLog::open(dir.path(), 4 * BLOCK as u64, Layout::Halves).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let fourth = log.append(&batch(3, 1)).unwrap();
    assert_eq!((fourth.offset, log.last_seq()), (3 * BLOCK as u64, 4));
    fourth.write().unwrap();
    // Half 1 is full too: back to half 0 (checkpointed meanwhile), whose older records
    // after the new one are not read as new; the newest half is read first in order.
    assert!(log.append(&batch(4, 1)).is_err());
    log.switch_halves();
    log.append(&batch(4, 1)).unwrap().write().unwrap();
    drop(log);
    let (_, replayed) = AckLog::open(dir.path(), 4 * BLOCK as u64, Layout::Halves).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [3, 4, 5], "half 1's records, then half 0's new one");
    assert!(replayed.torn.is_none());
}

#[test]
fn a_format_2_log_is_read_as_one_run_past_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    // Format 2: records one after the other from offset 0, across the middle.
    let path = dir.path().join(LOG_FILE);
    let file = File::create(&path).unwrap();
    fill_with_zeros(&file, 0, 4 * BLOCK as u64).unwrap();
    let mut at = 0;
    for (seq, first) in [(1, 0), (2, 30), (3, 60)] {
        let bytes = record::encode(seq, &batch(first, 30));
        file.write_all_at(&bytes, at).unwrap();
        at += bytes.len() as u64;
    }
    assert!(at > 2 * BLOCK as u64, "the records cross the middle");
    drop(file);
    let (mut log, replayed) = AckLog::open(dir.path(), 4 * BLOCK as u64, Layout::Whole).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(replayed.torn.is_none());
    // Written in halves from the start of half 0 once folded in (the open's restart).
    log.restart();
    assert_eq!(log.append(&batch(90, 1)).unwrap().offset, 0);
}

/// `block` as the sequencer logs it: the transactions of `admitted` by number, the
/// others whole.
fn logged(block: &Block, admitted: &[(u64, Transaction)]) -> record::LoggedBlock {
    let refs = block
        .transactions
        .iter()
        .map(|tx| match admitted.iter().find(|(_, a)| a == tx) {
            Some((seq, _)) => record::TxRef::Seq(*seq),
            None => record::TxRef::Whole(*tx),
        });
    record::LoggedBlock::new(block, refs.collect())
}

#[test]
fn blocks_are_read_back_beside_admitted_batches_as_long_as_they_carry_on_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let chain = ChainId::from_bytes([1; 32]);
    let miner = Address::from_bytes([3; 32]);
    let genesis = Block::genesis(miner, 1000, 0, 1);
    // Seq 0 is in redb's mempool; 1 and 2 in the log; 9 only in block two, whole.
    let (stored, first, second, outside) = (batch(0, 1), batch(1, 1), batch(2, 1), batch(9, 1));
    let all = [&stored[..], &first, &second].concat();
    let tx = |b: &Admitted| b[0].1;
    let one = Block::next(&genesis, &chain, miner, 2, vec![tx(&stored), tx(&first)]);
    let two = Block::next(&one, &chain, miner, 3, vec![tx(&second), tx(&outside)]);
    let elsewhere = Block::next(&one, &chain, miner, 4, Vec::new());
    let (mut log, _) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    log.append(&first).unwrap().write().unwrap();
    log.append_block(&logged(&one, &all))
        .unwrap()
        .write()
        .unwrap();
    log.append(&second).unwrap().write().unwrap();
    log.append_block(&logged(&two, &all))
        .unwrap()
        .write()
        .unwrap();
    log.append_block(&logged(&elsewhere, &all))
        .unwrap()
        .write()
        .unwrap();
    drop(log);

    let (_, replayed) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    assert_eq!(replayed.records.len(), 5);
    assert_eq!(
        replayed.records[1].1,
        Entry::BlockByRef(Box::new(logged(&one, &all)))
    );
    let on_genesis = std::slice::from_ref(&genesis);
    let (blocks, stopped) = blocks_on(&replayed.records, 0, on_genesis, &stored);
    assert_eq!(blocks, [one.clone(), two.clone()]);
    assert_eq!(
        stopped,
        Some(OutOfStep::NotNext { height: 2 }),
        "a second block at height 2 does not carry on"
    );
    // Records up to 2 are in redb already: only block two is read, on block one.
    let on_one = [genesis.clone(), one.clone()];
    let (blocks, _) = blocks_on(&replayed.records, 2, &on_one, &[]);
    assert_eq!(blocks, std::slice::from_ref(&two));
    // A checkpoint's first piece wrote block one, and not yet how much of the log redb
    // holds: block one is skipped, block two read on it.
    let (blocks, stopped) = blocks_on(&replayed.records, 0, &on_one, &stored);
    assert_eq!(blocks, std::slice::from_ref(&two));
    assert_eq!(stopped, Some(OutOfStep::NotNext { height: 2 }));
    // Both written by pieces: nothing on top, and the side block still does not carry on.
    let on_two = [genesis.clone(), one.clone(), two.clone()];
    let (blocks, stopped) = blocks_on(&replayed.records, 0, &on_two, &stored);
    assert_eq!(
        (blocks.len(), stopped),
        (0, Some(OutOfStep::NotNext { height: 2 }))
    );
    // A chain whose block one is another: the log's block one is not held and does
    // not carry on.
    let other_one = Block::next(&genesis, &chain, miner, 5, Vec::new());
    let (blocks, stopped) = blocks_on(&replayed.records, 0, &[genesis.clone(), other_one], &stored);
    assert_eq!(
        (blocks.len(), stopped),
        (0, Some(OutOfStep::NotNext { height: 1 }))
    );
    // Without redb's mempool, block one names a transaction nobody holds.
    let (blocks, stopped) = blocks_on(&replayed.records, 0, on_genesis, &[]);
    assert_eq!(
        (blocks.len(), stopped),
        (0, Some(OutOfStep::Missing { height: 1, seq: 0 }))
    );
    // Read back without changing the file, the same records.
    assert_eq!(read_back(dir.path()).unwrap().records, replayed.records);
}

#[test]
fn a_failed_record_that_reached_the_disk_is_not_read_back_once_writing_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    log.append(&batch(0, 1)).unwrap().write().unwrap();
    // Record 2's bytes reach the disk, but its write is reported failed (an
    // `fdatasync` error): taken back. The next record does not fit in this half and
    // goes to the other one, with the same number.
    let failed = log.append(&batch(1, 1)).unwrap();
    failed.write().unwrap();
    log.undo_append(&failed).unwrap();
    log.switch_halves();
    log.append(&batch(2, 1)).unwrap().write().unwrap();
    drop(log);

    let (_, replayed) = AckLog::open(dir.path(), SIZE, Layout::Halves).unwrap();
    let seqs: Vec<u64> = replayed.records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2], "one record 2, the one written after");
    assert_eq!(replayed.records[1].1, Entry::Admitted(batch(2, 1)));
}
