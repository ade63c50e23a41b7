from portail_tui.cli import main

main()
