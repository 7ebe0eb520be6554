//! Runs the migrations on their own: `cargo run -p migration -- [up|down|status|fresh]`.
//! The database comes from `DATABASE_URL`.

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::Database;

#[tokio::main]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL, e.g. sqlite://data/capex.db?mode=rwc".to_string())?;
    let command = std::env::args().nth(1).unwrap_or_else(|| "up".into());
    let db = Database::connect(&url).await.map_err(|e| e.to_string())?;
    let result = match command.as_str() {
        "up" => Migrator::up(&db, None).await,
        "down" => Migrator::down(&db, Some(1)).await,
        "fresh" => Migrator::fresh(&db).await,
        "status" => Migrator::status(&db).await,
        other => {
            return Err(format!(
                "unknown command {other:?}: use up, down, status or fresh"
            ));
        }
    };
    result.map_err(|e| e.to_string())
}
