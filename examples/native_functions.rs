//! An application that gives its users' scripts its own native functions and its own type:
//! a shop whose pricing rules are Rhai scripts over `Order` values.

use rsparallel::RunspacePool;
use rsparallel::rhai::{Dynamic, Engine};

/// The application's own type; scripts read it, and build new ones, through the functions
/// registered in `register_shop`.
#[derive(Clone, Debug)]
struct Order {
    customer: String,
    qty: i64,
    unit_cents: i64,
}

/// A lookup the application owns (a table here; a database in real life).
fn loyalty_years(customer: &str) -> i64 {
    match customer {
        "ada" => 7,
        "bob" => 2,
        _ => 0,
    }
}

/// Registered on every worker's engine, and on the engine scripts are compiled with.
fn register_shop(engine: &mut Engine) {
    engine
        .register_type_with_name::<Order>("Order")
        .register_get("customer", |o: &mut Order| o.customer.clone())
        .register_get("qty", |o: &mut Order| o.qty)
        .register_get("unit_cents", |o: &mut Order| o.unit_cents)
        .register_fn("total_cents", |o: &mut Order| o.qty * o.unit_cents)
        .register_fn("with_unit_cents", |o: Order, unit_cents: i64| Order {
            unit_cents,
            ..o
        })
        .register_fn("loyalty_years", |customer: &str| loyalty_years(customer));
}

/// The pricing rule a shop owner wrote: 10% off for ten or more, 5% more off for loyal
/// customers.
const PRICING_RULE: &str = r#"
    let percent = 0;
    if item.qty >= 10 { percent += 10; }
    if loyalty_years(item.customer) >= 5 { percent += 5; }
    let priced = item.with_unit_cents(item.unit_cents * (100 - percent) / 100);
    emit(`${item.customer}: ${percent}% off`);
    priced
"#;

fn main() -> Result<(), rsparallel::Error> {
    let pool = RunspacePool::builder()
        .threads(2)
        .setup(register_shop)
        .build()?;
    let rule = pool.compile_named("pricing.rhai", PRICING_RULE)?;
    let orders = [
        Order {
            customer: "ada".into(),
            qty: 12,
            unit_cents: 250,
        },
        Order {
            customer: "bob".into(),
            qty: 3,
            unit_cents: 990,
        },
        Order {
            customer: "cy".into(),
            qty: 10,
            unit_cents: 100,
        },
    ];
    let mut records: Vec<_> = pool.run(&rule, orders.map(Dynamic::from))?.collect();
    records.sort_by_key(|r| r.seq);
    for record in records {
        // The script's last value is an `Order` again: the application gets its own type back.
        let note = &record.output[0];
        let priced = record.output[1].clone().cast::<Order>();
        println!(
            "{note} -> {} x {} cents = {} cents",
            priced.qty,
            priced.unit_cents,
            priced.qty * priced.unit_cents
        );
    }
    Ok(())
}
