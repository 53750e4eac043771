from jdx_client.cli import main

main()
