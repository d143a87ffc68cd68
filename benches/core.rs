//! Criterion micro-benchmarks of the core operations on a generated table
//! (200 entity types x 50 fields x 2 actions x 20 roles = 400k cells, plus
//! entity rows). `cargo bench`; `sgperms bench` measures the whole studio
//! against pure Python and polars.

use criterion::{criterion_group, criterion_main, Criterion};
use sgperms::csvio::{read, write, Layout, ReadOptions};
use sgperms::diff::diff;
use sgperms::model::{Action, Kind, Table, Target, Value};
use sgperms::tiers::Tiers;

fn studio() -> (Table, Table, Tiers) {
    let roles: Vec<String> = (0..20).map(|i| format!("role_{i:02}")).collect();
    let mut table = Table::with_roles(roles.clone()).unwrap();
    let values = [
        Value::Yes,
        Value::No,
        Value::Inherit,
        Value::If("assigned".into()),
    ];
    let mut n = 0usize;
    for e in 0..200 {
        let entity = format!("CustomEntity{e:03}");
        for action in [Action::See, Action::Create, Action::Retire, Action::Edit] {
            let row = table.insert_target(Target::new(Kind::Entity, &entity, "", action).unwrap());
            for role in 0..roles.len() {
                n += 1;
                table
                    .set(row, role, &[Value::Yes, Value::No][n % 2])
                    .unwrap();
            }
        }
        for f in 0..50 {
            for action in [Action::See, Action::Edit] {
                let row = table.insert_target(
                    Target::new(Kind::Field, &entity, format!("sg_f{f:02}"), action).unwrap(),
                );
                for role in 0..roles.len() {
                    n += 7;
                    table.set(row, role, &values[n % 4]).unwrap();
                }
            }
        }
    }
    let mut changed = table.clone();
    for row in (0..changed.len()).step_by(97) {
        changed.set(row, row % 20, &Value::No).unwrap();
    }
    let chains: Vec<String> = roles.chunks(5).map(|c| c.join(" > ")).collect();
    let tiers = Tiers::parse(&format!("{}\nrole_02 > role_05\n", chains.join("\n"))).unwrap();
    (table, changed, tiers)
}

fn benches(c: &mut Criterion) {
    let (table, changed, tiers) = studio();
    let wide = write(&table, Layout::Wide);
    let long = write(&table, Layout::Long);
    let opts = ReadOptions::default();
    c.bench_function("read wide", |b| {
        b.iter(|| read(wide.as_bytes(), &opts).unwrap())
    });
    c.bench_function("read long", |b| {
        b.iter(|| read(long.as_bytes(), &opts).unwrap())
    });
    c.bench_function("write wide", |b| b.iter(|| write(&table, Layout::Wide)));
    c.bench_function("diff", |b| b.iter(|| diff(&table, &changed)));
    c.bench_function("tiers check", |b| {
        b.iter(|| tiers.check(&table, false).unwrap())
    });
    let chain: Vec<String> = (0..10_000).map(|i| format!("r{i}")).collect();
    let chain = chain.join(" > ");
    c.bench_function("tiers parse, 10,000-role chain", |b| {
        b.iter(|| Tiers::parse(&chain).unwrap())
    });
}

criterion_group! {
    name = core;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(core);
