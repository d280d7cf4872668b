//! docs/mechanisms.toml, the data of docs/mechanisms.md (issue 23): every cell names tests
//! that exist (checked against the catalog the sources give now), says why it cannot be
//! tested, or names the test it still needs; and the table covers every mechanism and
//! property the issue asks for. (`catalog_fresh` checks that the page itself is current.)

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn table() -> ipcspec::mechanisms::Table {
    let text = std::fs::read_to_string(root().join(ipcspec::mechanisms::TABLE_FILE)).unwrap();
    ipcspec::mechanisms::parse(&text).unwrap()
}

#[test]
fn every_cell_names_tests_that_exist() {
    let cat = ipcspec::catalog::scan(root());
    assert!(cat.errors.is_empty(), "test files that do not parse: {:?}", cat.errors);
    let p = ipcspec::mechanisms::problems(&table(), &cat);
    assert!(p.is_empty(), "{} problems in {}:\n  {}", p.len(), ipcspec::mechanisms::TABLE_FILE, p.join("\n  "));
}

#[test]
fn the_table_covers_what_issue_23_asks_for() {
    let t = table();
    let ids: Vec<&str> = t.mechanism.iter().map(|m| m.id.as_str()).collect();
    for m in [
        "pipe", "fifo", "unix_stream", "unix_dgram", "unix_seqpacket", "tcp", "udp", "eventfd", "posix_mq", "posix_sem_named",
        "posix_sem_unnamed", "posix_shm", "shared_file_mapping", "memfd", "pty", "file_locks", "cross_memory",
    ] {
        assert!(ids.contains(&m), "mechanism {m} is missing from the table");
    }
    let props: Vec<&str> = t.property.iter().map(|p| p.id.as_str()).collect();
    for p in ["model", "boundaries", "direction", "naming", "persistence", "pollable", "access", "capacity", "max_message", "fork_exec", "namespaces"] {
        assert!(props.contains(&p), "property {p} is missing from the table");
    }
    let (n, tested, untestable, missing) = ipcspec::mechanisms::coverage(&t);
    assert_eq!(n, t.mechanism.len() * t.property.len());
    assert_eq!(n, tested + untestable + missing);
    // A cell that cannot be tested says why in a sentence, not a word.
    for (m, ps) in &t.cells {
        for (p, c) in ps {
            if let Some(u) = &c.untestable {
                assert!(u.split_whitespace().count() >= 5, "cells.{m}.{p}: say why it cannot be tested: {u:?}");
            }
        }
    }
}
