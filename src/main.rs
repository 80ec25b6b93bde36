//! The `hwtrace` command; everything it does lives in `hwtrace::cli`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hwtrace::cli::run().await
}
