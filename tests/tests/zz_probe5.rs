use insurance_pool_testkit::*;

#[tokio::test]
async fn probe_smoke() {
    let mut env = TestEnv::new().await;
    let _pool = env.create_pool(TOKEN).await;
}
