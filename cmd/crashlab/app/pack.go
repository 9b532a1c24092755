package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

func newPackCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pack",
		Short: "Move a pack of incidents through a registry (an OCI artifact)",
		Long: `A pack is a folder of incidents with a pack.yaml (crashlab author --help).
pack push sends it to a registry as an OCI artifact, the registry a workshop
already uses for the lab's images; pack pull fetches it on another machine.
Run its incidents beside the built-in ones with --incidents DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPackPushCommand(g), newPackPullCommand(g))
	return cmd
}

// packRef checks REGISTRY/NAME:TAG before anything connects.
func packRef(ref string) error {
	if !strings.Contains(ref, "/") || strings.Contains(ref, "://") {
		return usageError{fmt.Errorf("%q is not REGISTRY/NAME:TAG (e.g. localhost:5000/packs/onboarding:1.0.0)", ref)}
	}
	if _, err := name.NewTag(ref, name.StrictValidation); err != nil {
		return usageError{fmt.Errorf("%q is not REGISTRY/NAME:TAG: %v", ref, err)}
	}
	host, _, _ := strings.Cut(ref, "/")
	if err := images.ValidateRegistry(host); err != nil {
		return usageError{fmt.Errorf("%q: %v", ref, err)}
	}
	return nil
}

func newPackPushCommand(g *globals) *cobra.Command {
	var withFixes bool
	cmd := &cobra.Command{
		Use:   "push REGISTRY/NAME:TAG DIR",
		Short: "Send the pack in DIR to a registry; its fixes/ (the intended answers) stay behind unless --with-fixes",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, dir := args[0], args[1]
			if err := packRef(ref); err != nil {
				return err
			}
			p, _, err := scenarios.LoadPack(dir, Version)
			if err != nil {
				return usageError{fmt.Errorf("pack push: %s is not a valid pack (%s): `crashlab author validate %s` lists the problems", dir, firstLine(err.Error()), dir)}
			}
			digest, err := images.PushPack(cmd.Context(), ref, dir, images.PackOptions{
				Remote:    images.Remote{Insecure: g.insecureRegistry},
				WithFixes: withFixes,
				Annotations: map[string]string{
					"org.opencontainers.image.title":   p.Name,
					"org.opencontainers.image.version": p.Version,
				},
			})
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(map[string]string{"ref": ref, "digest": digest, "pack": p.Name, "version": p.Version})
			}
			g.say("Pushed %s %s to %s (%s).", p.Name, p.Version, ref, digest)
			if !withFixes {
				g.say("Its fixes/ folders stayed behind: they hold the intended answers.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&withFixes, "with-fixes", false, "also send every incident's fixes/ (for another trainer's author test; never to a registry learners can read)")
	return cmd
}

func newPackPullCommand(g *globals) *cobra.Command {
	var dest string
	cmd := &cobra.Command{
		Use:   "pull REGISTRY/NAME:TAG",
		Short: "Fetch a pack into a new folder (default: the lab's state folder), ready for --incidents",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := args[0]
			if err := packRef(ref); err != nil {
				return err
			}
			if dest == "" {
				state, err := progress.DefaultDir()
				if err != nil {
					return err
				}
				tag, _ := name.NewTag(ref)
				dest = filepath.Join(state, "packs", filepath.Base(tag.RepositoryStr())+"@"+tag.TagStr())
			}
			if entries, err := os.ReadDir(dest); err == nil && len(entries) > 0 {
				return usageError{fmt.Errorf("pack pull: %s is not empty: name a new folder with --dir, or remove it", dest)}
			} else if st, serr := os.Stat(dest); serr == nil && !st.IsDir() {
				return usageError{fmt.Errorf("pack pull: %s is a file: name a new folder with --dir", dest)}
			}
			if err := images.PullPack(cmd.Context(), ref, dest, images.Remote{Insecure: g.insecureRegistry}); err != nil {
				if errors.Is(err, images.ErrNotAPack) {
					return fmt.Errorf("%w: push packs with crashlab pack push", err)
				}
				return err
			}
			p, list, err := scenarios.LoadPack(dest, Version)
			if err != nil {
				return fmt.Errorf("pulled into %s, but it is not a pack this crashlab can run: %s", dest, firstLine(err.Error()))
			}
			if g.json() {
				return g.emit(map[string]any{"dir": dest, "pack": p.Name, "version": p.Version, "incidents": len(list)})
			}
			g.say("Pulled %s %s (%d incidents) into %s.", p.Name, p.Version, len(list), dest)
			g.say("Play them with: crashlab --incidents %s list", dest)
			return nil
		},
	}
	cmd.Flags().StringVar(&dest, "dir", "", "the new folder to write the pack into (default: packs/NAME@TAG in the lab's state folder)")
	return cmd
}
